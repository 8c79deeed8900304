// RabbitMQ stopped and restarted while requests arrive: the gateway answers 503 with Retry-After
// within a bounded time while userevents is unreachable, and recovers by itself once RabbitMQ is
// back, with no service restarted; every job that was created is produced and counted exactly.
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { waitFor } from "../../lib/retry";
import {
  brokers,
  record,
  settle,
  startFaultSystem,
  type FaultSystem,
  type Service,
} from "./harness";

let sys: FaultSystem;
beforeAll(async () => {
  sys = await startFaultSystem();
});
afterAll(async () => {
  await brokers.startRabbit().catch(() => undefined);
  await sys?.stop();
});

interface Answer {
  at: number;
  status: number;
  retryAfter: string | null;
  jobId?: string;
}

it("answers 503 with Retry-After during a RabbitMQ outage and recovers by itself", async () => {
  const started = Date.now();
  const pids = Object.fromEntries(
    (["api", "userevents", "userstats"] as Service[]).map(s => [s, sys.pid(s)]),
  );
  const answers: Answer[] = [];
  let running = true;
  const client = (async () => {
    while (running) {
      const t = Date.now();
      try {
        const res = await fetch(`${sys.baseUrl}/submit/50`, {
          // Not answered by then (the gateway's RPC timeout is 5 s): hung, recorded as status 0.
          signal: AbortSignal.timeout(12_000),
        });
        const body = (await res.json()) as { jobId?: string };
        answers.push({
          at: t,
          status: res.status,
          retryAfter: res.headers.get("retry-after"),
          jobId: body.jobId,
        });
      } catch {
        answers.push({ at: t, status: 0, retryAfter: null });
      }
      await delay(100);
    }
  })();

  await waitFor(
    () => answers.filter(a => a.status === 202).length >= 5,
    30_000,
    "requests flowing",
  );
  const stoppedAt = Date.now();
  await brokers.stopRabbit();
  await waitFor(
    () => answers.some(a => a.at > stoppedAt && a.status === 503),
    60_000,
    "a 503 during the outage",
  );
  await waitFor(
    () => answers.filter(a => a.at > stoppedAt && a.status === 503).length >= 5,
    60_000,
    "several 503s",
  );
  const restartedAt = Date.now();
  await brokers.startRabbit();
  await waitFor(
    () => answers.some(a => a.at > restartedAt && a.status === 202),
    120_000,
    "a 202 after RabbitMQ is back",
  );
  const recoveredAt = answers.find(a => a.at > restartedAt && a.status === 202)?.at ?? Date.now();
  await waitFor(
    () => answers.filter(a => a.at > recoveredAt && a.status === 202).length >= 5,
    60_000,
    "requests flowing again",
  );
  running = false;
  await client;

  const during = answers.filter(a => a.at > stoppedAt && a.at < restartedAt);
  const unavailable = during.filter(a => a.status === 503);
  expect(unavailable.length).toBeGreaterThan(0);
  for (const a of unavailable) expect(a.retryAfter).toBe("5");
  // Every answer during the outage is a 202 (queued before the cut) or a 503; none hangs.
  expect(during.every(a => a.status === 503 || a.status === 202)).toBe(true);
  expect(answers.filter(a => a.status === 0)).toEqual([]);
  for (const [s, pid] of Object.entries(pids))
    expect(sys.pid(s as Service), `${s} not restarted`).toBe(pid);

  const { expected, report } = await settle(sys, 120_000);
  const accepted = answers.filter(a => a.status === 202).map(a => a.jobId);
  expect(expected.jobs.map(j => j.id)).toEqual(expect.arrayContaining(accepted));
  expect(report.total).toBe(expected.total);
  expect(report.stats).toEqual(expected.stats);
  record("RabbitMQ stopped and restarted while requests arrive", started, [
    `${answers.length} requests at ~10/s; during the outage ${unavailable.length} answered 503 with Retry-After: 5, none hung (every one answered within 12 s)`,
    `recovered ${((recoveredAt - restartedAt) / 1000).toFixed(1)} s after RabbitMQ was back, with no service restarted (same pids)`,
    `all ${accepted.length} jobs answered 202 (and ${expected.jobs.length - accepted.length} whose answer was lost) produced and counted: total ${report.total.toLocaleString("en-US")}, per-city counts exact`,
  ]);
});
