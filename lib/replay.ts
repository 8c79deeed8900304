/**
 * Replays a file of events into a running system through POST /events, in NDJSON batches, at an
 * optional rate, retrying when the system is busy or briefly unavailable. Sending the same file
 * again changes no count (events are keyed by id).
 */
import fs from "node:fs";
import { setTimeout as delay } from "node:timers/promises";
import { formatOf, readEventFile, type FileFormat } from "./event-file";
import { EVENTS_PER_REQUEST_MAX, type Rejection } from "./ingest";

export interface ReplayOptions {
  file: string;
  /** Base URL of the gateway, e.g. http://127.0.0.1:8000. */
  url: string;
  format?: FileFormat;
  /** Events per POST. Default 1000. */
  batchSize?: number;
  /** Upper bound in events per second; undefined sends as fast as the system takes them. */
  rate?: number;
  /** Called after each batch and as bytes are read. */
  onProgress?: (p: ReplayProgress) => void;
  /** Attempts per batch when the system answers 429/503 or cannot be reached. Default 8. */
  maxAttempts?: number;
  /** Called for every rejected row, as it is known (read errors first, a batch's after its POST). */
  onRejection?: (r: RowError) => void;
  /** Called before each wait for another attempt at a batch (the system busy or unreachable). */
  onRetry?: (r: ReplayRetry) => void;
}

/** Why a batch goes again, and when. */
export interface ReplayRetry {
  /** The gateway's answer (429 rate limited, 503 unavailable), or undefined when unreachable. */
  status: number | undefined;
  /** What went wrong, in words. */
  reason: string;
  /** The attempt that failed (1 for the first). */
  attempt: number;
  waitMs: number;
}

export interface ReplayProgress {
  bytesRead: number;
  read: number;
  accepted: number;
  rejected: number;
}

export interface RowError {
  line: number;
  errors: string[];
}

export interface ReplaySummary extends ReplayProgress {
  sent: number;
  batches: number;
  seconds: number;
  /**
   * The first REJECTIONS_KEPT rejected rows by line, with the reasons (read errors and invalid
   * events); `onRejection` sees every one. Memory does not grow with the rows a file gets wrong.
   */
  rejections: RowError[];
}

export const REJECTIONS_KEPT = 100;

interface Pending {
  line: number;
  /** The event as one line of NDJSON. */
  json: string;
}

/** The gateway's 202 to POST /events (`rejectedCount` since it lists 1,000 rejections at most). */
type EventsAnswer = { accepted: number; rejected: Rejection[]; rejectedCount?: number };

/** Streams the file to the gateway and resolves with what happened to every row. */
export async function replayFile(opts: ReplayOptions): Promise<ReplaySummary> {
  // At a rate below the batch size, a batch would go out as one burst above the rate.
  const batchSize = Math.min(
    opts.batchSize ?? 1000,
    // More is refused as a whole (422 TOO_MANY_EVENTS), whatever the body limit.
    EVENTS_PER_REQUEST_MAX,
    opts.rate === undefined ? Infinity : Math.max(1, Math.ceil(opts.rate)),
  );
  const endpoint = eventsUrl(opts.url);
  const started = Date.now();
  const summary: ReplaySummary = {
    bytesRead: 0,
    read: 0,
    sent: 0,
    accepted: 0,
    rejected: 0,
    batches: 0,
    seconds: 0,
    rejections: [],
  };
  const report = (): void => {
    const { rejections: _kept, ...progress } = summary;
    opts.onProgress?.(progress);
  };
  const reject = (r: RowError): void => {
    summary.rejected++;
    opts.onRejection?.(r);
    const kept = summary.rejections;
    kept.push(r);
    if (kept.length >= 2 * REJECTIONS_KEPT) {
      kept.sort((a, b) => a.line - b.line);
      kept.length = REJECTIONS_KEPT;
    }
  };
  let batch: Pending[] = [];

  /** POSTs events; a body over the gateway's limit (413) is sent again in halves. */
  const send = async (lines: Pending[]): Promise<void> => {
    let answer: EventsAnswer;
    try {
      answer = await postBatch(endpoint, opts, lines.map(p => p.json).join("\n") + "\n");
    } catch (err) {
      if (!(err instanceof BodyTooLarge)) throw err;
      if (lines.length === 1) {
        reject({
          line: (lines[0] as Pending).line,
          errors: ["the event alone is larger than the gateway takes (HTTP_BODY_LIMIT_BYTES)"],
        });
        return;
      }
      const half = Math.ceil(lines.length / 2);
      await send(lines.slice(0, half));
      await send(lines.slice(half));
      return;
    }
    summary.batches++;
    for (const r of answer.rejected) {
      reject({ line: lines[r.index]?.line ?? -1, errors: r.errors.map(e => e.message) });
    }
    // The gateway lists the first 1,000 rejected events of a request and counts the rest: the lines
    // after the last one listed are sent again, for the reasons of theirs (the valid ones among them
    // are stored already; sent again, they change no count).
    const last = answer.rejected.at(-1)?.index;
    if ((answer.rejectedCount ?? 0) > answer.rejected.length) {
      if (last === undefined) {
        throw new ReplayError(
          `POST ${endpoint.href} counted ${answer.rejectedCount} rejected events without listing any`,
        );
      }
      summary.sent += last + 1;
      summary.accepted += last + 1 - answer.rejected.length;
      await send(lines.slice(last + 1));
      return;
    }
    summary.sent += lines.length;
    summary.accepted += answer.accepted;
  };

  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const lines = batch;
    batch = [];
    await send(lines);
    if (opts.rate !== undefined) {
      const due = (summary.sent / opts.rate) * 1000 - (Date.now() - started);
      if (due > 0) await delay(due);
    }
    report();
  };

  // Rows that read as events (sent, or refused by the gateway).
  let readable = 0;
  for await (const record of readEventFile(opts.file, opts.format, n => (summary.bytesRead += n))) {
    summary.read++;
    if (record.error !== undefined) {
      reject({ line: record.line, errors: [record.error] });
      continue;
    }
    readable++;
    let json: string;
    try {
      json = JSON.stringify(record.event);
    } catch (err) {
      // Nested thousands deep: it reads, but does not write back (the stack runs out).
      reject({
        line: record.line,
        errors: [
          `the event cannot be sent as JSON (${err instanceof Error ? err.message : String(err)})`,
        ],
      });
      continue;
    }
    batch.push({ line: record.line, json });
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  if (summary.sent === 0) throw new ReplayError(nothingToSend(opts, summary, readable));
  summary.rejections.sort((a, b) => a.line - b.line);
  summary.rejections.length = Math.min(summary.rejections.length, REJECTIONS_KEPT);
  summary.seconds = (Date.now() - started) / 1000;
  report();
  return summary;
}

/**
 * Why a file gave nothing to send: no rows, or none that reads as its format (a README replayed,
 * say, or a JSON array where NDJSON is read). Such a replay is a mistake, not a success.
 */
function nothingToSend(opts: ReplayOptions, summary: ReplaySummary, readable: number): string {
  if (summary.read === 0) return `${opts.file} holds no rows, so no events`;
  const format = opts.format ?? formatOf(opts.file);
  const first = summary.rejections.reduce((a, b) => (b.line < a.line ? b : a));
  const why = `line ${first.line}: ${first.errors.join("; ")}`;
  // Events were read, and none could be sent (each larger than the gateway takes, say).
  if (readable > 0) return `none of the ${readable} events of ${opts.file} could be sent (${why})`;
  let hint = "";
  if (format === "ndjson" && startsWithBracket(opts.file)) {
    hint =
      "; it looks like one JSON array, and replay reads NDJSON, one event per line (`jq -c '.[]' <file>` writes that)";
  }
  return `no row of ${opts.file} reads as ${format === "csv" ? "CSV events" : "NDJSON events"} (${why}), so nothing was sent${hint}`;
}

/** Whether a file's first character (past a byte order mark and blanks) is "[". */
function startsWithBracket(file: string): boolean {
  try {
    const fd = fs.openSync(file, "r");
    try {
      const head = Buffer.alloc(256);
      const text = head.subarray(0, fs.readSync(fd, head, 0, 256, 0)).toString("utf8");
      return text
        .replace(/^\uFEFF/, "")
        .trimStart()
        .startsWith("[");
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Gone since it was read: no hint.
    return false;
  }
}

/** POST /events of a gateway base URL; a URL that is not one stops the replay before it starts. */
function eventsUrl(base: string): URL {
  let url: URL;
  try {
    url = new URL("/events", base);
  } catch {
    throw new ReplayError(`not a URL: ${base} (e.g. http://127.0.0.1:8000)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new ReplayError(`not an http(s) URL: ${base} (e.g. http://127.0.0.1:8000)`);
  return url;
}

async function postBatch(endpoint: URL, opts: ReplayOptions, body: string): Promise<EventsAnswer> {
  const attempts = opts.maxAttempts ?? 8;
  let wait = 500;
  for (let attempt = 1; ; attempt++) {
    let retryAfter: number | undefined;
    let status: number | undefined;
    let reason: string;
    try {
      const res = await fetch(endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/x-ndjson" },
        body,
        signal: AbortSignal.timeout(60_000),
      });
      const text = await res.text();
      if (res.status === 202) return JSON.parse(text) as EventsAnswer;
      if (res.status === 413) throw new BodyTooLarge();
      if (res.status !== 429 && res.status !== 503) {
        throw new ReplayError(`POST /events answered ${res.status}: ${text.slice(0, 500)}`);
      }
      status = res.status;
      reason = res.status === 429 ? "rate limited" : "unavailable";
      retryAfter = Number(res.headers.get("retry-after")) * 1000 || undefined;
      if (attempt >= attempts)
        throw new ReplayError(`POST /events still answers ${res.status} after ${attempt} attempts`);
    } catch (err) {
      if (err instanceof ReplayError || err instanceof BodyTooLarge) throw err;
      // fetch says only "fetch failed"; the cause says why (ECONNREFUSED, …).
      const cause = (err as Error & { cause?: unknown }).cause;
      const why =
        cause instanceof Error
          ? `${(err as Error).message}: ${cause.message}`
          : (err as Error).message;
      // What waiting may mend: a network error (it has a code), or no answer in time. Anything
      // else (a port fetch refuses to use, say) fails the same way every time.
      const transient =
        (err as Error).name === "TimeoutError" ||
        (err as Error).name === "AbortError" ||
        (cause instanceof Error && typeof (cause as { code?: unknown }).code === "string");
      if (!transient) throw new ReplayError(`cannot send to ${opts.url}: ${why}`);
      if (attempt >= attempts)
        throw new ReplayError(`cannot reach ${opts.url} after ${attempt} attempts: ${why}`);
      reason = "unreachable";
    }
    const waitMs = retryAfter ?? wait;
    opts.onRetry?.({ status, reason, attempt, waitMs });
    await delay(waitMs);
    wait = Math.min(wait * 2, 10_000);
  }
}

/** The replay cannot go on (the system refuses or is unreachable). */
export class ReplayError extends Error {
  override name = "ReplayError";
}

/** The gateway refused a body as too large (413): the events go again in smaller batches. */
class BodyTooLarge extends Error {
  override name = "BodyTooLarge";
}
