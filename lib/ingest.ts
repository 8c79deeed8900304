/**
 * Bring-your-own events: turns a POST /events body (a JSON array, or NDJSON text) into valid events
 * and per-event rejections. Each event is judged on its own; one bad event never sinks the others.
 */
import { Errors } from "moleculer";
import type { FieldError } from "./event-codec";
import { checkOwned, type UserEvent } from "./user-event";

export interface Rejection {
  /** Position of the event in the array, or among the non-empty NDJSON lines (from 0). */
  index: number;
  /** NDJSON only: the line number in the body (from 1). */
  line?: number;
  errors: FieldError[];
}

export interface IngestResult {
  events: UserEvent[];
  /** The first REJECTIONS_LISTED rejected events, in body order. */
  rejected: Rejection[];
  /** Every rejected event, listed or not. */
  rejectedCount: number;
}

/**
 * Rejected events listed in an answer. A 5 MiB body holds millions of invalid values: listing each
 * made an answer of hundreds of MB (and a service out of memory). The rest are counted.
 */
export const REJECTIONS_LISTED = 1000;

/**
 * Events (array items, non-empty NDJSON lines) one request may hold. The smallest valid event is
 * about 70 bytes, so a body within the 5 MiB limit never holds more valid ones than this; what holds
 * more is mostly not events, and judging each of millions of them would keep userevents busy for
 * seconds. Such a body is refused as a whole.
 */
export const EVENTS_PER_REQUEST_MAX = 100_000;

/** A body with more events than one request may hold. */
export class TooManyEventsError extends Errors.MoleculerClientError {
  constructor(count: number) {
    super(
      `A request holds at most ${EVENTS_PER_REQUEST_MAX.toLocaleString("en-US")} events; this one holds ${count.toLocaleString("en-US")}. Send them in several requests.`,
      422,
      "TOO_MANY_EVENTS",
      { max: EVENTS_PER_REQUEST_MAX, count },
    );
    this.name = "TooManyEventsError";
  }
}

function reject(out: IngestResult, rejection: Rejection): void {
  if (out.rejectedCount++ < REJECTIONS_LISTED) out.rejected.push(rejection);
}

/** A body of the right type whose content is not JSON (or NDJSON) at all. */
export class MalformedBodyError extends Errors.MoleculerClientError {
  constructor(message: string, type = "MALFORMED_BODY") {
    super(message, 400, type);
    this.name = "MalformedBodyError";
  }
}

/** A JSON body that is not an array of events. */
export class InvalidBodyError extends Errors.MoleculerClientError {
  constructor(message: string) {
    super(message, 422, "INVALID_BODY");
    this.name = "InvalidBodyError";
  }
}

function judge(value: unknown, index: number, line: number | undefined, out: IngestResult): void {
  // Every value judged here comes from JSON.parse of the request: nobody else holds it.
  const { event, errors } = checkOwned(value);
  if (event !== undefined) out.events.push(event);
  else reject(out, line === undefined ? { index, errors } : { index, line, errors });
}

/** Validates every event of a parsed JSON body, which must be an array. */
export function ingestArray(body: unknown): IngestResult {
  if (!Array.isArray(body)) {
    throw new InvalidBodyError(
      "The body must be a JSON array of events (or NDJSON with Content-Type application/x-ndjson).",
    );
  }
  if (body.length > EVENTS_PER_REQUEST_MAX) throw new TooManyEventsError(body.length);
  const out: IngestResult = { events: [], rejected: [], rejectedCount: 0 };
  body.forEach((value, i) => judge(value, i, undefined, out));
  return out;
}

/** Parses a JSON body (400 when it is not JSON) and validates it as ingestArray does. */
export function ingestJsonText(text: string): IngestResult {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // One event per line, sent as JSON: say what it should be sent as.
    // Only blanks before the line break: with \s there, a "}" and a million line breaks took hours.
    const lines = /\}[^\S\n]*\n\s*\{/.test(text)
      ? " One event per line is NDJSON: send it with Content-Type application/x-ndjson."
      : "";
    throw new MalformedBodyError(`The request body is not valid JSON.${lines}`, "MALFORMED_JSON");
  }
  return ingestArray(body);
}

/** Validates every non-empty line of an NDJSON body; a line that is not JSON is rejected on its own. */
export function ingestNdjson(text: string): IngestResult {
  const out: IngestResult = { events: [], rejected: [], rejectedCount: 0 };
  let index = 0;
  let parsedAny = false;
  const lines = text.split("\n");
  const count = lines.reduce((n, raw) => (raw.trim() === "" ? n : n + 1), 0);
  if (count > EVENTS_PER_REQUEST_MAX) throw new TooManyEventsError(count);
  lines.forEach((raw, i) => {
    const lineText = raw.trim();
    if (lineText === "") return;
    let value: unknown;
    try {
      value = JSON.parse(lineText);
      parsedAny = true;
    } catch (err) {
      reject(out, {
        index: index++,
        line: i + 1,
        errors: [
          {
            field: "",
            type: "json",
            message: `Line ${i + 1} is not JSON: ${(err as Error).message}`,
          },
        ],
      });
      return;
    }
    judge(value, index++, i + 1, out);
  });
  if (!parsedAny && out.rejectedCount > 0) {
    throw new MalformedBodyError("The body is not NDJSON: no line is a JSON value.");
  }
  return out;
}
