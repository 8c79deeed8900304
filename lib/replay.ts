/**
 * Replays a file of events into a running system through POST /events, in NDJSON batches, at an
 * optional rate, retrying when the system is busy or briefly unavailable. Sending the same file
 * again changes no count (events are keyed by id).
 */
import { setTimeout as delay } from "node:timers/promises";
import { readEventFile, type FileFormat } from "./event-file";
import type { Rejection } from "./ingest";

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
  /** Every rejected row with its line in the file and the reasons (read errors and invalid events). */
  rejections: RowError[];
}

interface Pending {
  line: number;
  event: unknown;
}

/** Streams the file to the gateway and resolves with what happened to every row. */
export async function replayFile(opts: ReplayOptions): Promise<ReplaySummary> {
  const batchSize = opts.batchSize ?? 1000;
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
  const report = (): void => opts.onProgress?.({ ...summary });
  let batch: Pending[] = [];

  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const lines = batch;
    batch = [];
    const answer = await postBatch(opts, lines.map(p => JSON.stringify(p.event)).join("\n") + "\n");
    summary.batches++;
    summary.sent += lines.length;
    summary.accepted += answer.accepted;
    summary.rejected += answer.rejected.length;
    for (const r of answer.rejected) {
      summary.rejections.push({
        line: lines[r.index]?.line ?? -1,
        errors: r.errors.map(e => e.message),
      });
    }
    if (opts.rate !== undefined) {
      const due = (summary.sent / opts.rate) * 1000 - (Date.now() - started);
      if (due > 0) await delay(due);
    }
    report();
  };

  for await (const record of readEventFile(opts.file, opts.format, n => (summary.bytesRead += n))) {
    summary.read++;
    if (record.error !== undefined) {
      summary.rejected++;
      summary.rejections.push({ line: record.line, errors: [record.error] });
      continue;
    }
    batch.push({ line: record.line, event: record.event });
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  summary.rejections.sort((a, b) => a.line - b.line);
  summary.seconds = (Date.now() - started) / 1000;
  report();
  return summary;
}

async function postBatch(
  opts: ReplayOptions,
  body: string,
): Promise<{ accepted: number; rejected: Rejection[] }> {
  const attempts = opts.maxAttempts ?? 8;
  let wait = 500;
  for (let attempt = 1; ; attempt++) {
    let retryAfter: number | undefined;
    try {
      const res = await fetch(new URL("/events", opts.url), {
        method: "POST",
        headers: { "Content-Type": "application/x-ndjson" },
        body,
        signal: AbortSignal.timeout(60_000),
      });
      const text = await res.text();
      if (res.status === 202)
        return JSON.parse(text) as { accepted: number; rejected: Rejection[] };
      if (res.status !== 429 && res.status !== 503) {
        throw new ReplayError(`POST /events answered ${res.status}: ${text.slice(0, 500)}`);
      }
      retryAfter = Number(res.headers.get("retry-after")) * 1000 || undefined;
      if (attempt >= attempts)
        throw new ReplayError(`POST /events still answers ${res.status} after ${attempt} attempts`);
    } catch (err) {
      if (err instanceof ReplayError) throw err;
      if (attempt >= attempts) {
        throw new ReplayError(
          `cannot reach ${opts.url} after ${attempt} attempts: ${(err as Error).message}`,
        );
      }
    }
    await delay(retryAfter ?? wait);
    wait = Math.min(wait * 2, 10_000);
  }
}

/** The replay cannot go on (the system refuses or is unreachable). */
export class ReplayError extends Error {
  override name = "ReplayError";
}
