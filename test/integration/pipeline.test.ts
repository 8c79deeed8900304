// The whole pipeline on real parts: HTTP → api → RabbitMQ RPC → userevents → Kafka → userstats →
// SQLite → report, and the report emailed to a real SMTP receiver.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobThread } from "../../lib/job-thread";
import { cityKey, createNormalizer } from "../../lib/normalize";
import { waitFor } from "../../lib/retry";
import type { Report } from "../../lib/report";
import type { UserStatsStore } from "../../lib/stats-store";
import { userEventCodec, type UserEvent } from "../../lib/user-event";
import { BuiltReports } from "../../lib/built-reports";
import { dlqTopic } from "../../lib/dead-letter";
import { deleteTopics, produceRaw, readTopic } from "../helpers/kafka";
import { startSmtpReceiver, type SmtpReceiver } from "../helpers/smtp";
import { http, startSystem, type TestSystem } from "../helpers/system";

let sys: TestSystem;
let smtp: SmtpReceiver;

const report = async (): Promise<Report> => (await http(sys.baseUrl, "/report")).body as Report;

beforeAll(async () => {
  smtp = await startSmtpReceiver();
  sys = await startSystem({
    SMTP_URL: smtp.url,
    REPORT_TO: "manager@example.com,analyst@example.com",
    REPORT_FROM: "Reports <reports@example.com>",
    SEED: "pipeline-test",
    GENERATOR_DIRTY_SHARE: "0.5",
  });
});

afterAll(async () => {
  await sys?.stop();
  await smtp?.close();
  if (sys) await deleteTopics([sys.config.kafka.topic, dlqTopic(sys.config.kafka.topic)]);
});

describe("pipeline", () => {
  it("reports healthy when every service reaches RabbitMQ, Kafka and SQLite", async () => {
    const res = await http(sys.baseUrl, "/healthcheck");
    expect(res.status).toBe(200);
    const body = res.body as { status: string; checks: Record<string, { ok: boolean }> };
    expect(body.status).toBe("ok");
    for (const name of [
      "rabbitmq",
      "userevents.kafka",
      "userevents.sqlite",
      "userevents.jobs",
      "userstats.kafka",
      "userstats.sqlite",
      "userstats.consumer",
    ]) {
      expect(body.checks[name]?.ok, name).toBe(true);
    }
  });

  it("turns GET /submit/25 into 25 counted users whose per-city counts match the produced events", async () => {
    const before = await report();
    const res = await http(sys.baseUrl, "/submit/25");
    expect(res.status).toBe(202);
    const { accepted, jobId } = res.body as { accepted: number; jobId: string };
    expect(accepted).toBe(25);
    expect(res.headers.get("location")).toBe(`/jobs/${jobId}`);

    const after = await waitFor(
      async () => {
        const r = await report();
        return r.total === before.total + 25 ? r : undefined;
      },
      30_000,
      "the report to count 25 more users",
    );

    // What actually went over Kafka, read back independently of the service.
    const records = await readTopic(sys.config.kafka.topic, before.total + 25);
    const events = records.map(r => userEventCodec.decode(r.value));
    expect(new Set(events.map(e => e.id)).size).toBe(before.total + 25);
    // Some generated addresses are messy on purpose (GENERATOR_DIRTY_SHARE): count them clean.
    const normalizer = createNormalizer();
    const expected: Record<string, number> = {};
    for (const e of events) {
      const key = cityKey(normalizer.address(e.address));
      expected[key] = (expected[key] ?? 0) + 1;
    }
    expect(after.stats).toEqual(expected);
    // Biggest first.
    const counts = Object.values(after.stats);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));

    // Asked again at once, the gateway answers from its cache: the same report, the time of this
    // answer, and a Content-Length that matches the bytes.
    const again = await fetch(`${sys.baseUrl}/report`);
    const bytes = Buffer.from(await again.arrayBuffer());
    expect(again.headers.get("content-length")).toBe(String(bytes.length));
    expect(again.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const cached = JSON.parse(bytes.toString("utf8")) as Report;
    expect({ ...cached, timestamp: after.timestamp }).toEqual(after);
    expect(Date.parse(cached.timestamp)).toBeGreaterThanOrEqual(Date.parse(after.timestamp));

    const job = await http(sys.baseUrl, `/jobs/${jobId}`);
    expect(job.status).toBe(200);
    expect(job.body).toMatchObject({ id: jobId, state: "done", total: 25, produced: 25 });
    // A UUID written in capitals (copied from a log or a ticket) names the same job.
    const upper = await http(sys.baseUrl, `/jobs/${jobId.toUpperCase()}`);
    expect(upper.status).toBe(200);
    expect(upper.body).toMatchObject({ id: jobId });
  });

  it("shows on the dashboard what the pipeline counted: total, top cities, events in and out, no lag", async () => {
    interface State {
      total: number | null;
      topCities: [string, number][];
      counters: { produced: number | null; consumed: number | null };
      lag: number | null;
    }
    const dashboard = async () => (await http(sys.baseUrl, "/dashboard/state")).body as State;
    const start = await dashboard();
    const before = await report();
    expect((await http(sys.baseUrl, "/submit/30")).status).toBe(202);
    const { state, counted } = await waitFor(
      async () => {
        const state = await dashboard();
        const counted = await report();
        return counted.total === before.total + 30 &&
          state.total === counted.total &&
          state.lag === 0
          ? { state, counted }
          : undefined;
      },
      30_000,
      "the dashboard to show the 30 new users, with no lag",
    );
    expect(state.counters.produced).toBeGreaterThanOrEqual((start.counters.produced ?? 0) + 30);
    expect(state.counters.consumed).toBeGreaterThanOrEqual((start.counters.consumed ?? 0) + 30);
    expect(state.topCities.length).toBeGreaterThan(0);
    expect(state.topCities).toEqual(Object.entries(counted.stats).slice(0, state.topCities.length));
  });

  it("counts an event delivered twice once", async () => {
    const before = await report();
    const event: UserEvent = {
      id: "3b0f6c1e-8a53-4c3e-9d2f-0a1b2c3d4e5f",
      address: { city: "Duplicateville", state: "TX", country: "US", postCode: "75001" },
      datetime: new Date().toISOString(),
    };
    const record = { key: event.id, value: userEventCodec.encode(event) };
    await produceRaw(sys.config.kafka.topic, [record, record]);
    await produceRaw(sys.config.kafka.topic, [record]);
    // A marker event produced after the duplicates: once it is counted, so are they.
    const marker: UserEvent = {
      ...event,
      id: "7c9e6679-7425-40de-944b-e07fc1f90ae7",
      address: { ...event.address, city: "Markerton" },
    };
    await produceRaw(sys.config.kafka.topic, [
      { key: marker.id, value: userEventCodec.encode(marker) },
    ]);
    const after = await waitFor(
      async () => {
        const r = await report();
        return r.stats["Markerton, TX"] === 1 ? r : undefined;
      },
      30_000,
      "the marker event to be counted",
    );
    expect(after.total).toBe(before.total + 2);
    expect(after.stats["Duplicateville, TX"]).toBe(1);
  });

  it("sends a record that is not a valid event to the dead-letter topic and keeps consuming", async () => {
    const before = await report();
    await produceRaw(sys.config.kafka.topic, [
      { key: "bad-1", value: "{not json" },
      {
        key: "bad-2",
        value: JSON.stringify({ id: "not-a-uuid", address: {}, datetime: "yesterday" }),
      },
    ]);
    const good: UserEvent = {
      id: "0e5c8f0a-2d3b-4f6a-8b7c-9d0e1f2a3b4c",
      address: { city: "Aftertown", state: "OH", country: "US", postCode: "43004" },
      datetime: new Date().toISOString(),
    };
    await produceRaw(sys.config.kafka.topic, [
      { key: good.id, value: userEventCodec.encode(good) },
    ]);
    await waitFor(
      async () => (await report()).stats["Aftertown, OH"] === 1,
      30_000,
      "the valid event after the bad ones",
    );
    expect((await report()).total).toBe(before.total + 1);

    const dead = await readTopic(dlqTopic(sys.config.kafka.topic), 2);
    const byKey = new Map(dead.map(m => [m.key?.toString(), m]));
    expect(byKey.get("bad-1")?.value?.toString()).toBe("{not json");
    const headers = byKey.get("bad-2")?.headers ?? {};
    expect(String(headers["dlq-reason"])).toMatch(/not a valid user event/i);
    expect(String(headers["dlq-source-topic"])).toBe(sys.config.kafka.topic);
    expect(String(headers["dlq-details"])).toMatch(/uuid/i);
  });

  it("dead-letters a fetch of invalid records bigger than the broker takes in one send, and keeps consuming", async () => {
    const before = await report();
    // 12 × 120 KB in one partition (one fetch brings them together), then one record of nearly
    // the broker's 1 MiB limit, which its dead-letter headers would push over it.
    for (let i = 0; i < 12; i++) {
      await produceRaw(sys.config.kafka.topic, [
        { key: "big-bad", value: Buffer.alloc(120_000, 0x7b) },
      ]);
    }
    await produceRaw(sys.config.kafka.topic, [
      { key: "big-bad", value: Buffer.alloc(1_048_000, 0x7b) },
    ]);
    const good: UserEvent = {
      id: "6f1c2d3e-4a5b-4c6d-8e7f-8091a2b3c4d5",
      address: { city: "Afterbig", state: "OH", country: "US", postCode: "43004" },
      datetime: new Date().toISOString(),
    };
    await produceRaw(sys.config.kafka.topic, [
      { key: "big-bad", value: userEventCodec.encode(good) },
    ]);
    await waitFor(
      async () => (await report()).stats["Afterbig, OH"] === 1,
      30_000,
      "the valid event after the big bad ones",
    );
    expect((await report()).total).toBe(before.total + 1);
    const dead = (await readTopic(dlqTopic(sys.config.kafka.topic), 2 + 13)).filter(
      m => m.key?.toString() === "big-bad",
    );
    expect(dead).toHaveLength(13);
    const cut = dead.find(m => m.headers?.["dlq-value-bytes"] !== undefined);
    expect(String(cut?.headers?.["dlq-value-bytes"])).toBe("1048000");
    expect(cut?.value?.length).toBeLessThan(1_048_000);
    expect(dead.filter(m => m.value?.length === 120_000)).toHaveLength(12);
  });

  it("emails the report on POST /report/send to every recipient", async () => {
    const current = await report();
    const res = await http(sys.baseUrl, "/report/send", { method: "POST" });
    expect(res.status).toBe(200);
    const body = res.body as { delivery: { via: string; to: string[] }; report: Report };
    expect(body.delivery.via).toBe("smtp");
    expect(body.report.total).toBe(current.total);

    const mail = await waitFor(() => smtp.mails.at(-1), 10_000, "the report email");
    expect(mail.envelopeTo.sort()).toEqual(["analyst@example.com", "manager@example.com"]);
    expect(mail.parsed.from?.text).toContain("reports@example.com");
    expect(mail.parsed.subject).toContain(body.report.timestamp.slice(0, 10));
    expect(mail.parsed.text).toContain(`Distinct users: ${current.total}`);
    const [topCity, topCount] = Object.entries(current.stats)[0] ?? ["", 0];
    expect(mail.parsed.text).toMatch(new RegExp(`${topCity}\\s+${topCount}`));
  });

  it.each([
    ["0", "numberMin"],
    ["-1", "integer"],
    ["abc", "integer"],
    ["1.5", "integer"],
    ["1e3", "integer"],
    ["1000001", "numberMax"],
    ["9999999999999", "numberMax"],
  ])("answers 422 for /submit/%s", async (n, type) => {
    const res = await http(sys.baseUrl, `/submit/${n}`);
    expect(res.status).toBe(422);
    const body = res.body as { error: { type: string; data: { type: string; field: string }[] } };
    expect(body.error.type).toBe("VALIDATION_ERROR");
    expect(body.error.data[0]).toMatchObject({ field: "n", type });
  });

  /** userstats's store, written to directly by the tests below. */
  const userstatsStore = () =>
    (sys.brokers.userstats.getLocalService("userstats") as unknown as { store: UserStatsStore })
      .store;
  /** Asks userstats for a report as the gateway does (JSON text); the answer's body and meta. */
  const askAsGateway = async (
    params: Record<string, string>,
    meta: Record<string, unknown> = {},
  ) => {
    const p = sys.brokers.userstats.call<string, Record<string, string>>(
      "userstats.report",
      params,
      { meta: { jsonText: true, ...meta } },
    ) as Promise<string> & { ctx?: { meta: Record<string, unknown> } };
    return { text: await p, meta: p.ctx?.meta ?? {} };
  };
  /** The total and the version a report answer is labelled with. */
  const ask = async (params: Record<string, string> = {}) => {
    const { text, meta } = await askAsGateway(params);
    return { total: (JSON.parse(text) as Report).total, version: meta.reportVersion as number };
  };
  /** Asks until the answer is built at the store's current version. */
  const askUntilCurrent = (params: Record<string, string>, what: string) =>
    waitFor(
      async () => {
        const r = await ask(params);
        return r.version === userstatsStore().version ? r : undefined;
      },
      5000,
      what,
    );
  const austinEvent = (n: number): UserEvent => ({
    id: `00000000-0000-4000-8000-0000000c0de${n}`,
    address: { city: "Austin", state: "TX", country: "US", postCode: "78701" },
    datetime: new Date().toISOString(),
  });

  it("labels a report served from userstats's cache with the version it holds, not the store's", async () => {
    const store = userstatsStore();
    store.write([austinEvent(1)]);
    // Asked until rebuilt: the cached report was built just now, at the store's version.
    const first = await askUntilCurrent({}, "a rebuilt report");
    // A write right after: reports are rebuilt at most every 250 ms, so the next answer is the
    // cached one, and must say so; a gateway told the store's newer version would keep it as current.
    store.write([austinEvent(2)]);
    const second = await ask();
    expect(second).toEqual(first);
    expect(store.version).toBeGreaterThan(first.version);
    // A gateway that holds that build is told "not modified", and for how long the build stays.
    const revalidated = await askAsGateway({}, { reportHave: first.version });
    expect(revalidated.text).toBe("");
    expect(revalidated.meta).toMatchObject({
      reportNotModified: true,
      reportVersion: first.version,
    });
    const freshForMs = revalidated.meta.reportFreshForMs as number;
    expect(freshForMs).toBeGreaterThanOrEqual(0);
    expect(freshForMs).toBeLessThanOrEqual(250);
    const third = await askUntilCurrent({}, "the report rebuilt with the second write");
    expect(third.total).toBe(first.total + 1);
  });

  it("reuses a window's report while it is new, instead of counting the window again for every request", async () => {
    const window = { from: "2000-01-01", to: "2100-01-01" };
    const first = await askUntilCurrent(window, "a window's report built at the store's version");
    userstatsStore().write([austinEvent(9)]);
    // Asked again at once: the same build, labelled with its own version (before, every request
    // counted the window anew: ~0.5 s at a million events, with the consumer waiting).
    expect(await ask(window)).toEqual(first);
    const rebuilt = await askUntilCurrent(window, "the window's report rebuilt with the new event");
    expect(rebuilt.total).toBe(first.total + 1);
  });

  it("revalidates its cached report with userstats instead of fetching the same bytes again", async () => {
    const b = sys.brokers.userstats;
    const svc = b.getLocalService("userstats") as unknown as {
      store: UserStatsStore;
      builtReports: BuiltReports;
    };
    // The test above wrote to the store behind the gateway's back: wait for its copy to catch up.
    const total = (await b.call<Report, object>("userstats.report", {})).total;
    const first = await waitFor(
      async () => {
        const r = await report();
        return r.total === total ? r : undefined;
      },
      5000,
      "the gateway's report to catch up with the store",
    );
    // Spy on the real method: what userstats answered the gateway's questions from now on.
    const answers: ("bytes" | "not modified")[] = [];
    const built = svc.builtReports;
    const get = built.get.bind(built);
    built.get = async (...args) => {
      const answer = await get(...args);
      answers.push(answer.json === undefined ? "not modified" : "bytes");
      return answer;
    };
    try {
      // Announced as newer than the gateway's copy: the gateway must ask, userstats holds no newer build.
      await b.broadcast("userstats.changed", { version: svc.store.version + 1 });
      const again = await waitFor(
        async () => {
          const r = await report();
          return answers.includes("not modified") ? r : undefined;
        },
        5000,
        "the gateway to ask userstats with the version it holds",
      );
      expect(answers).not.toContain("bytes");
      expect({ ...again, timestamp: first.timestamp }).toEqual(first);
    } finally {
      Reflect.deleteProperty(built, "get");
    }
  });

  it("runs two large submits at once to the end and counts both", async () => {
    // Many chunks each, the two jobs sharing userevents' event budget (when the budget held four
    // chunks, two such jobs once held two apiece and waited forever for a third; jobs.test.ts keeps
    // that case with a budget smaller than both jobs' chunks in flight).
    const n = 35_000;
    // From userstats itself: the test above wrote to the store behind the gateway's cache.
    const before = (await sys.brokers.userstats.call<Report, object>("userstats.report", {})).total;
    const answers = await Promise.all([
      http(sys.baseUrl, `/submit/${n}`),
      http(sys.baseUrl, `/submit/${n}`),
    ]);
    const ids = answers.map(a => {
      expect(a.status).toBe(202);
      return (a.body as { jobId: string }).jobId;
    });
    await waitFor(
      async () => {
        const jobs = await Promise.all(ids.map(id => http(sys.baseUrl, `/jobs/${id}`)));
        return jobs.every(j => (j.body as { state: string }).state === "done") ? true : undefined;
      },
      50_000,
      "both jobs to be done",
    );
    await waitFor(
      async () => ((await report()).total === before + 2 * n ? true : undefined),
      60_000,
      `the report to count ${2 * n} more users`,
    );
  }, 120_000);

  it("runs jobs in a thread of their own, which, should it die mid-job (twice), starts again and finishes the job", async () => {
    const jobs = (
      sys.brokers.userevents.getLocalService("userevents") as unknown as { jobs: JobThread }
    ).jobs;
    const n = 100_000;
    const before = (await sys.brokers.userstats.call<Report, object>("userstats.report", {})).total;
    const answer = await http(sys.baseUrl, `/submit/${n}`);
    expect(answer.status).toBe(202);
    const { jobId } = answer.body as { jobId: string };
    const job = async () =>
      (await http(sys.baseUrl, `/jobs/${jobId}`)).body as { state: string; produced: number };
    await waitFor(
      async () => ((await job()).produced > 0 ? true : undefined),
      20_000,
      "the job to make progress",
    );
    await jobs.kill();
    expect(jobs.running).toBe(false);
    // The service itself goes on answering meanwhile.
    const atKill = await job();
    expect(atKill.state).toBe("running");
    expect(atKill.produced).toBeLessThan(n);
    expect(jobs.crashesInARow).toBe(1);
    await waitFor(() => (jobs.running ? true : undefined), 20_000, "the jobs' thread to run again");
    // Dying again soon after it resumed counts as a second crash in a row: a longer wait.
    await jobs.kill();
    expect(jobs.crashesInARow).toBe(2);
    // It died mid-job again, not after the job was done.
    const atSecondKill = await job();
    expect(atSecondKill.state).toBe("running");
    expect(atSecondKill.produced).toBeLessThan(n);
    await waitFor(() => (jobs.running ? true : undefined), 20_000, "the jobs' thread to run again");
    await waitFor(
      async () => ((await job()).state === "done" ? true : undefined),
      60_000,
      "the job to be done",
    );
    await waitFor(
      async () => ((await report()).total === before + n ? true : undefined),
      60_000,
      `the report to count ${n} more users, each once`,
    );
  }, 120_000);

  it("answers 404 as JSON for an unknown job and an unknown route", async () => {
    const job = await http(sys.baseUrl, "/jobs/0000");
    expect(job.status).toBe(404);
    expect(job.body).toMatchObject({ error: { type: "JOB_NOT_FOUND" } });
    const route = await http(sys.baseUrl, "/nope");
    expect(route.status).toBe(404);
    expect(route.body).toMatchObject({ error: { type: "NOT_FOUND" } });
  });

  // Last: it stops userstats.
  it("answers 503 with the failing check, and 503 with Retry-After for its routes, once userstats is gone", async () => {
    await sys.brokers.userstats.stop();
    await waitFor(
      async () => (await http(sys.baseUrl, "/healthcheck")).status === 503,
      20_000,
      "the health check to fail",
    );
    const health = await http(sys.baseUrl, "/healthcheck");
    const body = health.body as { status: string; checks: Record<string, { ok: boolean }> };
    expect(body.status).toBe("fail");
    expect(body.checks.userstats?.ok).toBe(false);
    expect(body.checks.userevents?.ok).toBe(true);

    // The gateway may still serve its cached report for up to a second.
    const res = await waitFor(
      async () => {
        const r = await http(sys.baseUrl, "/report");
        return r.status === 503 ? r : undefined;
      },
      10_000,
      "/report to answer 503",
    );
    expect(res.headers.get("retry-after")).toBe("5");
    expect(res.body).toMatchObject({ error: { type: "SERVICE_UNAVAILABLE" } });

    // The dashboard keeps what userevents answers (the jobs go on) and names what is missing.
    const submitted = await http(sys.baseUrl, "/submit/3");
    expect(submitted.status).toBe(202);
    const { jobId } = submitted.body as { jobId: string };
    const state = await http(sys.baseUrl, "/dashboard/state");
    expect(state.status).toBe(200);
    expect(state.body).toMatchObject({
      total: null,
      topCities: [],
      lag: null,
      reports: [],
      counters: { consumed: null, produced: expect.any(Number) as unknown },
      unavailable: ["userstats"],
    });
    expect((state.body as { jobs: { id: string }[] }).jobs.map(j => j.id)).toContain(jobId);
  });
});
