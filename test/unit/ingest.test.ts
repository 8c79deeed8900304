import { describe, expect, it } from "vitest";
import {
  EVENTS_PER_REQUEST_MAX,
  ingestArray,
  ingestJsonText,
  ingestNdjson,
  InvalidBodyError,
  MalformedBodyError,
  REJECTIONS_LISTED,
  TooManyEventsError,
} from "../../lib/ingest";

const ok = (id: string, extra: object = {}) => ({
  id,
  address: { city: "Holland ", state: "Mi", postCode: 49423 },
  datetime: "2019-05-07 17:33:20.592",
  ...extra,
});
const ID1 = "278ab326-52d4-4d4b-9d4a-1c2e3f4a5b6c";
const ID2 = "5B6F0D2E-1111-4222-8333-944455556666";

describe("ingest", () => {
  it("accepts valid events in canonical form (lower-case id, UTC datetime) and keeps the messy address", () => {
    const { events, rejected } = ingestArray([ok(ID1), ok(ID2)]);
    expect(rejected).toEqual([]);
    expect(events[0]).toEqual({
      id: ID1,
      address: { city: "Holland ", state: "Mi", postCode: 49423 },
      datetime: "2019-05-07T17:33:20.592Z",
    });
    expect(events[1]?.id).toBe(ID2.toLowerCase());
  });

  it("rejects each invalid event on its own, naming the fields", () => {
    const { events, rejected } = ingestArray([
      ok(ID1),
      { id: "x" },
      "text",
      ok(ID2, { datetime: "someday" }),
    ]);
    expect(events.map(e => e.id)).toEqual([ID1]);
    expect(rejected.map(r => r.index)).toEqual([1, 2, 3]);
    expect(rejected[0]?.errors.map(e => e.field)).toEqual(
      expect.arrayContaining(["id", "address", "datetime"]),
    );
    expect(rejected[2]?.errors.map(e => e.field)).toEqual(["datetime"]);
  });

  it("requires an array for JSON bodies", () => {
    expect(() => ingestArray({ events: [] })).toThrow(InvalidBodyError);
  });

  it("reads NDJSON line by line; a line that is not JSON is rejected alone", () => {
    const text = `${JSON.stringify(ok(ID1))}\n\n{oops\r\n${JSON.stringify(ok(ID2))}\n`;
    const { events, rejected } = ingestNdjson(text);
    expect(events.map(e => e.id)).toEqual([ID1, ID2.toLowerCase()]);
    expect(rejected).toEqual([
      { index: 1, line: 3, errors: [expect.objectContaining({ type: "json" })] },
    ]);
  });

  it("says to send one event per line as NDJSON when such a body comes as JSON", () => {
    const ndjson = `${JSON.stringify(ok(ID1))}\n${JSON.stringify(ok(ID2))}\n`;
    expect(() => ingestJsonText(ndjson)).toThrow(
      "The request body is not valid JSON. One event per line is NDJSON: send it with Content-Type application/x-ndjson.",
    );
    expect(() => ingestJsonText("{")).toThrow(/^The request body is not valid JSON\.$/);
    // Looking for that hint in a "}" and many line breaks took time in their square.
    expect(() => ingestJsonText(`}${"\n".repeat(500_000)}`)).toThrow(
      /^The request body is not valid JSON\.$/,
    );
  });

  it("refuses NDJSON of which no line is JSON with a 400", () => {
    expect(() => ingestNdjson("hello\nworld\n")).toThrow(MalformedBodyError);
    expect(ingestNdjson("")).toEqual({ events: [], rejected: [], rejectedCount: 0 });
  });

  it("lists the first 1,000 rejected events and counts them all, keeping the valid ones", () => {
    const body = [...Array.from({ length: 1500 }, (_, i) => i), ok(ID1)];
    const { events, rejected, rejectedCount } = ingestArray(body);
    expect(REJECTIONS_LISTED).toBe(1000);
    expect(rejectedCount).toBe(1500);
    expect(rejected.map(r => r.index)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(events.map(e => e.id)).toEqual([ID1]);
    const ndjson = ingestNdjson(`${"nope\n".repeat(1200)}${JSON.stringify(ok(ID2))}\n`);
    expect([ndjson.rejected.length, ndjson.rejectedCount, ndjson.events.length]).toEqual([
      1000, 1200, 1,
    ]);
    expect(ndjson.rejected.at(-1)).toMatchObject({ index: 999, line: 1000 });
  });

  it("refuses a body of more than 100,000 events as a whole, before judging any", () => {
    expect(EVENTS_PER_REQUEST_MAX).toBe(100_000);
    const many = Array.from({ length: EVENTS_PER_REQUEST_MAX + 1 }, () => 1);
    expect(() => ingestArray(many)).toThrow(TooManyEventsError);
    expect(() => ingestArray(many)).toThrow(
      "A request holds at most 100,000 events; this one holds 100,001. Send them in several requests.",
    );
    expect(() => ingestNdjson("1\n\n".repeat(EVENTS_PER_REQUEST_MAX + 1))).toThrow(
      TooManyEventsError,
    );
    // Blank lines are no events: at the limit, the body is judged.
    const atLimit = ingestNdjson("1\n\n".repeat(EVENTS_PER_REQUEST_MAX));
    expect(atLimit.rejectedCount).toBe(EVENTS_PER_REQUEST_MAX);
    expect(ingestArray(many.slice(1)).rejectedCount).toBe(EVENTS_PER_REQUEST_MAX);
  });
});
