// Messy data in, trustworthy reports out: a CSV in the original system's format with the messy forms
// real data has, replayed through POST /events, must give one report key per real city with the
// right counts; filters, CSV output and bad bodies are checked against the same fixture.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replayFile, type ReplaySummary } from "../../lib/replay";
import type { Report } from "../../lib/report";
import { waitFor } from "../../lib/retry";
import { dlqTopic } from "../../lib/dead-letter";
import { deleteTopics } from "../helpers/kafka";
import { BROKEN, DAYS, TRUTH, writeMessyCsv, type FixtureRow } from "../helpers/messy-fixture";
import { http, startSystem, type TestSystem } from "../helpers/system";
import { tempDir } from "../helpers/tmp";
import type { UserStatsThis } from "../../services/userstats.service";

let sys: TestSystem;
let rows: FixtureRow[];
let file: string;
let first: ReplaySummary;
const tmp = tempDir();
const ROWS = 330;

const report = async (query = ""): Promise<Report> => {
  const res = await http(sys.baseUrl, `/report${query}`);
  expect(res.status, res.text).toBe(200);
  return res.body as Report;
};
const countBy = <K extends string>(
  list: FixtureRow[],
  key: (r: FixtureRow) => K,
): Record<K, number> => {
  const out = {} as Record<K, number>;
  for (const r of list) out[key(r)] = (out[key(r)] ?? 0) + 1;
  return out;
};

beforeAll(async () => {
  sys = await startSystem({ HTTP_BODY_LIMIT_BYTES: String(256 * 1024) });
  file = path.join(tmp.dir, "users.csv");
  rows = writeMessyCsv(file, ROWS);
  first = await replayFile({ file, url: sys.baseUrl, batchSize: 100 });
  await waitFor(async () => (await report()).total === ROWS, 30_000, `${ROWS} users in the report`);
});

afterAll(async () => {
  await sys?.stop();
  tmp.remove();
  if (sys) await deleteTopics([sys.config.kafka.topic, dlqTopic(sys.config.kafka.topic)]);
});

describe("messy data", () => {
  it("replays the CSV, reporting each broken row by line and reason", () => {
    expect(first.read).toBe(ROWS + BROKEN.length + 1);
    expect(first.accepted).toBe(ROWS + 1); // the repeated row is accepted, and counted once
    expect(first.rejections.map(r => r.line)).toEqual(BROKEN.map((_, i) => ROWS + 2 + i));
    BROKEN.forEach((b, i) => expect(first.rejections[i]?.errors.join(" ")).toMatch(b.reason));
  });

  it("shows one key per real city, with the right counts", async () => {
    const r = await report();
    expect(r.total).toBe(ROWS);
    expect(r.filters).toEqual({ by: "city" });
    expect(r.stats).toEqual(countBy(rows, x => x.key));
    expect(Object.keys(r.stats).sort()).toEqual(TRUTH.map(t => t.key).sort());
  });

  it("reports by state and by country", async () => {
    expect((await report("?by=state")).stats).toEqual(countBy(rows, x => x.state ?? "??"));
    expect((await report("?by=country")).stats).toEqual(countBy(rows, x => x.country));
  });

  it("keeps the top N, biggest first", async () => {
    const all = Object.entries((await report()).stats);
    const top = await report("?top=3");
    expect(Object.entries(top.stats)).toEqual(all.slice(0, 3));
    expect(top.filters).toEqual({ by: "city", top: 3 });
    expect(top.total).toBe(ROWS);
  });

  it("filters on the events' own datetime, inclusive, with dates or date-times", async () => {
    const day = DAYS[1];
    const oneDay = await report(`?from=${day}&to=${day}`);
    const expected = rows.filter(x => x.day === day);
    expect(oneDay.total).toBe(expected.length);
    expect(oneDay.stats).toEqual(countBy(expected, x => x.key));
    expect(oneDay.filters).toEqual({
      by: "city",
      from: `${day}T00:00:00.000Z`,
      to: `${day}T23:59:59.999Z`,
    });

    const fromSecond = await report(`?from=${DAYS[1]}T00:00:00Z&by=state`);
    expect(fromSecond.stats).toEqual(
      countBy(
        rows.filter(x => x.day !== DAYS[0]),
        x => x.state ?? "??",
      ),
    );
    const none = await report("?to=2000-01-01");
    expect(none.total).toBe(0);
    expect(none.stats).toEqual({});
    // Counted by the report thread, off the thread that stores the consumer's batches.
    const stats = sys.brokers.userstats.getLocalService("userstats") as unknown as UserStatsThis;
    expect(stats.reportThread.starts).toBeGreaterThan(0);
  });

  it("answers CSV", async () => {
    const res = await http(sys.baseUrl, "/report?format=csv&top=4");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    const json = Object.entries((await report("?top=4")).stats);
    const csvOf = new Map(TRUTH.map(t => [t.key, t.csv]));
    const expected = [
      "city,state,country,users",
      ...json.map(([k, n]) => `${csvOf.get(k)},${n}`),
    ].join("\n");
    expect(res.text).toBe(expected + "\n");
    const states = await http(sys.baseUrl, "/report?format=csv&by=state");
    expect(states.text.split("\n")[0]).toBe("state,users");
    // A window as CSV: the same counts as its JSON.
    const windowed = await http(sys.baseUrl, `/report?format=csv&by=state&from=${DAYS[1]}`);
    const windowedJson = Object.entries((await report(`?by=state&from=${DAYS[1]}`)).stats);
    expect(windowed.text).toBe(
      ["state,users", ...windowedJson.map(([k, n]) => `${k === "??" ? "" : k},${n}`)].join("\n") +
        "\n",
    );
  });

  it("answers 422 naming a bad report parameter", async () => {
    const res = await http(sys.baseUrl, "/report?by=zip&top=0");
    expect(res.status).toBe(422);
    const fields = (res.body as { error: { data: { field: string }[] } }).error.data.map(
      d => d.field,
    );
    expect(fields.sort()).toEqual(["by", "top"]);
  });

  it("changes no count when the same file is sent again", async () => {
    const before = await report();
    const again = await replayFile({ file, url: sys.baseUrl, batchSize: 100 });
    expect(again.accepted).toBe(ROWS + 1);
    // A marker sent after the replay: once it is counted, the replayed events have been consumed.
    const marker = {
      id: "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d",
      address: { city: "Markerville", state: "VT" },
      datetime: "2019-05-07T00:00:00Z",
    };
    expect(
      (
        await http(sys.baseUrl, "/events", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify([marker]),
        })
      ).status,
    ).toBe(202);
    const after = await waitFor(
      async () => {
        const r = await report();
        return r.stats["Markerville, VT"] === 1 ? r : undefined;
      },
      30_000,
      "the marker event",
    );
    expect(after.total).toBe(before.total + 1);
    const { ["Markerville, VT"]: _marker, ...rest } = after.stats;
    expect(rest).toEqual(before.stats);
  });
});

describe("POST /events", () => {
  const post = (body: string, type?: string) =>
    http(sys.baseUrl, "/events", {
      method: "POST",
      headers: type === undefined ? {} : { "content-type": type },
      body,
    });
  const event = {
    id: "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
    address: { city: "Reno", state: "NV" },
    datetime: "2019-05-07T00:00:00Z",
  };

  it("takes a JSON array and lists the invalid events by index", async () => {
    const res = await post(
      JSON.stringify([event, { id: "nope" }, { ...event, datetime: "never" }]),
      "application/json",
    );
    expect(res.status).toBe(202);
    const body = res.body as {
      accepted: number;
      rejected: { index: number; errors: { field: string }[] }[];
    };
    expect(body.accepted).toBe(1);
    expect(body.rejected.map(r => r.index)).toEqual([1, 2]);
    expect(body.rejected[1]?.errors.map(e => e.field)).toEqual(["datetime"]);
  });

  it("takes NDJSON and lists bad lines by index and line", async () => {
    const res = await post(`${JSON.stringify(event)}\n{bad\n`, "application/x-ndjson");
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: 1, rejected: [{ index: 1, line: 2 }] });
  });

  it.each([
    {
      what: "text/plain",
      type: "text/plain",
      body: JSON.stringify([event]),
      status: 415,
      errorType: "UNSUPPORTED_MEDIA_TYPE",
    },
    {
      what: "no content type",
      type: undefined,
      body: JSON.stringify([event]),
      status: 415,
      errorType: "UNSUPPORTED_MEDIA_TYPE",
    },
    {
      what: "malformed JSON",
      type: "application/json",
      body: "{not json",
      status: 400,
      errorType: "MALFORMED_JSON",
    },
    {
      what: "a JSON string",
      type: "application/json",
      body: '"a string"',
      status: 422,
      errorType: "INVALID_BODY",
    },
    {
      what: "a JSON object",
      type: "application/json",
      body: JSON.stringify({ events: [event] }),
      status: 422,
      errorType: "INVALID_BODY",
    },
    {
      what: "NDJSON without JSON",
      type: "application/x-ndjson",
      body: "hello\nworld\n",
      status: 400,
      errorType: "MALFORMED_BODY",
    },
    {
      what: "a body over the limit",
      type: "application/json",
      body: JSON.stringify(Array.from({ length: 3000 }, () => event)),
      status: 413,
      errorType: "PAYLOAD_TOO_LARGE",
    },
  ])("answers $what with $status", async ({ type, body, status, errorType }) => {
    const res = await post(body, type);
    expect(res.status, res.text).toBe(status);
    expect(res.body).toMatchObject({ error: { type: errorType } });
  });
});
