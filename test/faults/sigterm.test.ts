// SIGTERM to each service while it works: in-flight HTTP and RPC calls finish, the producer flushes,
// the consumer finishes its batch and commits, the database closes; nothing is lost across a stop of
// everything and a start (make down / make up).
import net from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { waitFor } from "../../lib/retry";
import { type FaultSystem, record, settle, startFaultSystem, submitJob } from "./harness";

let sys: FaultSystem;
/** Windows asked at once: the one the gateway lets userstats count and the 8 it lets wait
 * (WINDOWS_RUNNING and WINDOWS_WAITING of services/api.service.ts). */
const REQUESTS = 9;
beforeAll(async () => {
  sys = await startFaultSystem({ PRODUCE_CHUNK: "2000" });
});
afterAll(async () => {
  await sys?.stop();
});

it("finishes in-flight requests when the gateway is stopped", async () => {
  const started = Date.now();
  expect((await fetch(`${sys.baseUrl}/submit/20000`)).status).toBe(202);
  await waitFor(async () => (await sys.report()).total === 20_000, 60_000, "20,000 users");
  // Slow requests in flight (a report over a time window scans every event; each a window of its
  // own, so that none shares another's answer, counted one after the other; as many as the gateway
  // lets wait), then SIGTERM while most still wait: every one sent must be answered.
  const { port } = new URL(sys.baseUrl);
  let answered = 0;
  const inFlight = Array.from({ length: REQUESTS }, (_, i) => {
    const socket = net.connect(Number(port), "127.0.0.1");
    const sent = new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.write(
        `GET /report?from=2000-01-0${i + 1}&to=2100-01-01 HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n`,
        err => (err ? reject(err) : resolve()),
      );
    });
    const answer = new Promise<number>((resolve, reject) => {
      let text = "";
      socket.on("data", (d: Buffer) => (text += d.toString()));
      socket.once("close", () => {
        answered++;
        resolve(Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1] ?? 0));
      });
      socket.once("error", reject);
    });
    return { sent, answer };
  });
  await Promise.all(inFlight.map(r => r.sent));
  // Once the first is answered, the others are at the gateway, waiting their turn: stop it then.
  await Promise.race(inFlight.map(r => r.answer));
  const pendingAtSignal = REQUESTS - answered;
  sys.signal("api", "SIGTERM");
  const statuses = await Promise.all(inFlight.map(r => r.answer));
  await sys.waitExit("api");
  expect(pendingAtSignal).toBeGreaterThan(0);
  expect(statuses).toEqual(Array(REQUESTS).fill(200));
  expect(sys.log("api")).toMatch(/ServiceBroker is stopped/);
  await sys.start();
  record("SIGTERM to the gateway with requests in flight", started, [
    `${REQUESTS} requests sent, ${pendingAtSignal} of them still unanswered when SIGTERM was sent: all answered 200; the broker stopped cleanly`,
  ]);
});

it("stops userevents mid-job and userstats mid-ingest cleanly, and resumes without loss", async () => {
  const started = Date.now();
  const N = 100_000;
  const { job } = await submitJob(sys, N);
  await waitFor(async () => (await job()).produced >= 20_000, 60_000, "20,000 produced", 20);
  sys.signal("userevents", "SIGTERM");
  await sys.waitExit("userevents");
  expect(sys.log("userevents")).toMatch(/Submit job paused for shutdown/);
  expect(sys.log("userevents")).toMatch(/userevents stopped cleanly/);
  await sys.start();

  await waitFor(async () => (await sys.report()).total >= 60_000, 120_000, "60,000 counted", 20);
  sys.signal("userstats", "SIGTERM");
  await sys.waitExit("userstats");
  expect(sys.log("userstats")).toMatch(/userstats stopped cleanly/);
  await sys.start();

  const { expected, report } = await settle(sys, 180_000);
  expect(report.total).toBe(expected.total);
  expect(report.stats).toEqual(expected.stats);
  record("SIGTERM to userevents mid-job and to userstats mid-ingest", started, [
    "userevents: the chunk in flight finished, progress was stored, 'stopped cleanly'; the job resumed after the restart",
    "userstats: the batch in progress was stored and committed, 'stopped cleanly'",
    `report total ${report.total.toLocaleString("en-US")} = every job's events; per-city counts exact`,
  ]);
});

it("loses nothing across stopping everything mid-ingest and starting again (make down / make up)", async () => {
  const started = Date.now();
  const before = (await sys.report()).total;
  expect((await fetch(`${sys.baseUrl}/submit/100000`)).status).toBe(202);
  await waitFor(
    async () => (await sys.report()).total >= before + 30_000,
    120_000,
    "30,000 more counted",
    20,
  );
  const atStop = (await sys.report()).total - before;
  await sys.down();
  for (const s of ["api", "userevents", "userstats"] as const) expect(sys.alive(s)).toBe(false);
  await sys.start();
  const { expected, report } = await settle(sys, 180_000);
  expect(report.total).toBe(expected.total);
  expect(report.total).toBe(before + 100_000);
  expect(report.stats).toEqual(expected.stats);
  record("everything stopped mid-ingest and started again (make down / make up)", started, [
    `stopped with ${atStop.toLocaleString("en-US")} of 100,000 counted; all three exited on SIGTERM`,
    `after the start the job resumed; report total ${report.total.toLocaleString("en-US")} = every job's events, per-city counts exact`,
  ]);
});
