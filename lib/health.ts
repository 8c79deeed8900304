/** Health checks: each dependency answers within a deadline or counts as down. */
import type { Admin } from "kafkajs";

export interface CheckResult {
  ok: boolean;
  /** Milliseconds the check took. */
  ms: number;
  error?: string;
  [detail: string]: unknown;
}

/** fn's result, or a rejection once timeoutMs has passed without one. */
export async function withTimeout<T>(fn: () => T | Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(fn),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs fn with a deadline; any error or timeout becomes { ok: false, error }. */
export async function check(fn: () => unknown, timeoutMs = 2000): Promise<CheckResult> {
  const started = Date.now();
  try {
    const details = await withTimeout(fn, timeoutMs);
    const extra =
      typeof details === "object" && details !== null ? (details as Record<string, unknown>) : {};
    return { ok: true, ms: Date.now() - started, ...extra };
  } catch (err) {
    return {
      ok: false,
      ms: Date.now() - started,
      error: err instanceof Error ? err.message : String(err),
    };
  }
}

/** Asks the Kafka cluster for its brokers (admin client should have retries off). */
export async function kafkaCheck(admin: Admin): Promise<{ brokers: number }> {
  const cluster = await admin.describeCluster();
  return { brokers: cluster.brokers.length };
}
