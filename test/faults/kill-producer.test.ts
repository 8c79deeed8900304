// kill -9 of userevents in the middle of a /submit/100000 job: the job answered with 202 still
// completes once userevents is back, and nothing is counted twice.
import { afterAll, beforeAll, expect, it } from "vitest";
import { waitFor } from "../../lib/retry";
import { type FaultSystem, record, settle, startFaultSystem, submitJob } from "./harness";

let sys: FaultSystem;
beforeAll(async () => {
  sys = await startFaultSystem({ PRODUCE_CHUNK: "2000" });
});
afterAll(async () => {
  await sys?.stop();
});

it("completes a 202-accepted job after userevents is killed in the middle of it", async () => {
  const started = Date.now();
  const N = 100_000;
  const { jobId, job } = await submitJob(sys, N);
  await waitFor(async () => (await job()).produced >= 20_000, 120_000, "20,000 produced", 20);
  const producedAtKill = (await job()).produced;
  sys.signal("userevents", "SIGKILL");
  await sys.waitExit("userevents");
  // While it is gone, the job cannot be asked about (503), but the gateway keeps answering.
  const gone = await fetch(`${sys.baseUrl}/jobs/${jobId}`);
  expect(gone.status).toBe(503);
  expect(gone.headers.get("retry-after")).not.toBeNull();
  await sys.start();
  await waitFor(
    async () => (await job()).state === "done",
    120_000,
    "the job to finish after the restart",
    200,
  );
  const { expected, report } = await settle(sys, 120_000);
  expect(expected.jobs).toHaveLength(1);
  expect(report.total).toBe(N);
  expect(report.stats).toEqual(expected.stats);
  expect(sys.log("userevents")).toMatch(/resumedJobs: 1/);
  record("kill -9 of userevents in the middle of /submit/100000", started, [
    `killed with ${producedAtKill.toLocaleString("en-US")} events produced; /jobs answered 503 with Retry-After meanwhile`,
    "after the restart the job resumed from its stored progress and reached state done",
    `report total ${report.total.toLocaleString("en-US")} = ${N.toLocaleString("en-US")}; per-city counts exact (re-produced events counted once)`,
  ]);
});
