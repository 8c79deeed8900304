/**
 * Bring-your-own events: turns a POST /events body (a JSON array, or NDJSON text) into valid events
 * and per-event rejections. Each event is judged on its own; one bad event never sinks the others.
 */
import { Errors } from "moleculer";
import type { FieldError } from "./event-codec";
import { parseOwned, type UserEvent } from "./user-event";

export interface Rejection {
  /** Position of the event in the array, or among the non-empty NDJSON lines (from 0). */
  index: number;
  /** NDJSON only: the line number in the body (from 1). */
  line?: number;
  errors: FieldError[];
}

export interface IngestResult {
  events: UserEvent[];
  rejected: Rejection[];
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
  try {
    // Every value judged here comes from JSON.parse of the request: nobody else holds it.
    out.events.push(parseOwned(value));
  } catch (err) {
    const errors: FieldError[] = (err as { data?: { errors?: FieldError[] } }).data?.errors ?? [
      { field: "", type: "invalid", message: (err as Error).message },
    ];
    out.rejected.push(line === undefined ? { index, errors } : { index, line, errors });
  }
}

/** Validates every event of a parsed JSON body, which must be an array. */
export function ingestArray(body: unknown): IngestResult {
  if (!Array.isArray(body)) {
    throw new InvalidBodyError(
      "The body must be a JSON array of events (or NDJSON with Content-Type application/x-ndjson).",
    );
  }
  const out: IngestResult = { events: [], rejected: [] };
  body.forEach((value, i) => judge(value, i, undefined, out));
  return out;
}

/** Parses a JSON body (400 when it is not JSON) and validates it as ingestArray does. */
export function ingestJsonText(text: string): IngestResult {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new MalformedBodyError("The request body is not valid JSON.", "MALFORMED_JSON");
  }
  return ingestArray(body);
}

/** Validates every non-empty line of an NDJSON body; a line that is not JSON is rejected on its own. */
export function ingestNdjson(text: string): IngestResult {
  const out: IngestResult = { events: [], rejected: [] };
  let index = 0;
  let parsedAny = false;
  const lines = text.split("\n");
  lines.forEach((raw, i) => {
    const lineText = raw.trim();
    if (lineText === "") return;
    let value: unknown;
    try {
      value = JSON.parse(lineText);
      parsedAny = true;
    } catch (err) {
      out.rejected.push({
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
  if (!parsedAny && out.rejected.length > 0) {
    throw new MalformedBodyError("The body is not NDJSON: no line is a JSON value.");
  }
  return out;
}
