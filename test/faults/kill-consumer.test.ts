// kill -9 of userstats three times during a 100,000-event ingest, each time restarted:
// 0 events lost, 0 counted twice.
import { afterAll, beforeAll, expect, it } from "vitest";
import { waitFor } from "../../lib/retry";
import { record, settle, startFaultSystem, type FaultSystem } from "./harness";

let sys: FaultSystem;
beforeAll(async () => {
  // Small fetches (~350 events a batch): the ingest lasts long enough for three kills in its middle.
  sys = await startFaultSystem({ KAFKA_FETCH_MAX_BYTES: "65536" });
});
afterAll(async () => {
  await sys?.stop();
});

it("loses and doubles nothing when userstats is killed three times during ingest", async () => {
  const started = Date.now();
  const N = 100_000;
  expect((await fetch(`${sys.baseUrl}/submit/${N}`)).status).toBe(202);
  const kills: number[] = [];
  // The first kill at 20 %, each next one as soon as the restarted consumer stored its first batch
  // (a batch holds up to ~35,000 events), so that all three land in the middle of the ingest.
  for (const step of [0.2, 0, 0]) {
    const target = (kills.at(-1) ?? 0) + Math.max(1, step * N);
    const seen = await waitFor(
      async () => {
        const { total } = await sys.report();
        return total >= target ? total : undefined;
      },
      120_000,
      `${Math.round(target)} users counted`,
      10,
    );
    expect(seen, "killed before the ingest ended").toBeLessThan(N);
    kills.push(seen);
    sys.signal("userstats", "SIGKILL");
    await sys.waitExit("userstats");
    // Relaunched without waiting for health: the next kill comes as soon as it stored a batch.
    await sys.launch();
  }
  await sys.start();
  const { expected, report } = await settle(sys, 240_000);
  expect(report.total).toBe(N);
  expect(report.total).toBe(expected.total);
  expect(report.stats).toEqual(expected.stats);
  record("kill -9 of userstats three times during a 100,000-event ingest", started, [
    `killed at ${kills.map(k => k.toLocaleString("en-US")).join(", ")} users counted, restarted each time`,
    `report total ${report.total.toLocaleString("en-US")} = ${N.toLocaleString("en-US")} submitted (0 lost, 0 doubled)`,
    `per-city counts equal the regenerated events' for all ${Object.keys(expected.stats).length.toLocaleString("en-US")} cities`,
  ]);
});
