/** Bounded waiting: retry with backoff until a deadline, and wait for a condition. */
import { setTimeout as delay } from "node:timers/promises";
import type { Log } from "./log";

export interface RetryOptions {
  /** What is being waited for, for the log lines ("Kafka", "SQLite"). */
  what: string;
  /** Give up after this many milliseconds in total. */
  timeoutMs: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  log?: Log;
  /** Stops retrying early (e.g. the service is stopping). */
  signal?: AbortSignal;
}

/**
 * Calls fn until it resolves, waiting 250 ms, 500 ms, … (capped) between attempts and logging each
 * failure; throws the last error, with the attempt count, once timeoutMs has passed.
 */
export async function retryUntil<T>(fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let wait = opts.initialDelayMs ?? 250;
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await fn();
      if (attempt > 1) opts.log?.info(`${opts.what} is reachable after ${attempt} attempts.`);
      return result;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const left = deadline - Date.now();
      if (left <= 0 || opts.signal?.aborted === true) {
        throw new Error(
          `${opts.what} still unreachable after ${attempt} attempts (${opts.timeoutMs} ms): ${message}`,
          {
            cause: err,
          },
        );
      }
      opts.log?.warn(
        `Waiting for ${opts.what} (attempt ${attempt}): ${message}; retrying in ${wait} ms.`,
      );
      await delay(Math.min(wait, left), undefined, { signal: opts.signal }).catch(() => undefined);
      wait = Math.min(wait * 2, opts.maxDelayMs ?? 5000);
    }
  }
}

/**
 * Resolves once check() returns a truthy value (returned), polling every intervalMs;
 * rejects with the message after timeoutMs.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs: number,
  message = "condition",
  intervalMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${message}${why}`);
    }
    await delay(intervalMs);
  }
}
