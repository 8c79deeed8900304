// Kafka stopped and restarted during an ingest: producer and consumer wait and carry on by themselves.
import { afterAll, beforeAll, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { projectRoot } from "../../lib/paths";
import { waitFor } from "../../lib/retry";
import { brokers, type FaultSystem, record, settle, startFaultSystem, submitJob } from "./harness";

let sys: FaultSystem;
beforeAll(async () => {
  if (!fs.existsSync(path.join(projectRoot(), ".run", "kafka.pid"))) {
    throw new Error(
      "this scenario stops Kafka: run it with the Kafka of scripts/kafka.sh (make test-faults)",
    );
  }
  sys = await startFaultSystem({ PRODUCE_CHUNK: "2000" });
});
afterAll(async () => {
  try {
    await brokers.startKafka();
  } finally {
    await sys?.stop();
  }
});

it("loses and doubles nothing when Kafka stops and restarts during an ingest", async () => {
  const started = Date.now();
  const N = 100_000;
  const { job } = await submitJob(sys, N);
  const produced = async () => (await job()).produced;
  // Both sides in the middle of their work: the job has produced some of its events, not all.
  await waitFor(async () => (await produced()) >= 10_000, 120_000, "10,000 produced", 5);
  await brokers.stopKafka();
  const producedAtStop = await produced();
  const atStop = (await sys.report()).total;
  expect(producedAtStop).toBeLessThan(N);
  const health = await waitFor(
    async () => {
      const r = await fetch(`${sys.baseUrl}/healthcheck`);
      return r.status === 503
        ? ((await r.json()) as { checks: Record<string, { ok: boolean }> })
        : undefined;
    },
    30_000,
    "the health check to see Kafka down",
  );
  expect(health.checks["userevents.kafka"]?.ok).toBe(false);
  const downFor = Date.now();
  await brokers.startKafka();
  const { expected, report } = await settle(sys, 300_000);
  expect(report.total).toBe(N);
  expect(report.stats).toEqual(expected.stats);
  await waitFor(
    async () => (await fetch(`${sys.baseUrl}/healthcheck`)).status === 200,
    60_000,
    "healthy again",
  );
  for (const s of ["userevents", "userstats"] as const) expect(sys.alive(s)).toBe(true);
  record("Kafka stopped and restarted during an ingest", started, [
    `Kafka stopped with ${producedAtStop.toLocaleString("en-US")} of ${N.toLocaleString("en-US")} events produced and ${atStop.toLocaleString("en-US")} counted; /healthcheck answered 503 naming userevents.kafka`,
    `Kafka back after ${((Date.now() - downFor) / 1000).toFixed(0)} s at most; no service restarted`,
    `report total ${report.total.toLocaleString("en-US")} = ${N.toLocaleString("en-US")}; per-city counts exact; healthy again`,
  ]);
});
