import { describe, expect, it } from "vitest";
import { ingestArray, ingestNdjson, InvalidBodyError, MalformedBodyError } from "../../lib/ingest";

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

  it("refuses NDJSON of which no line is JSON with a 400", () => {
    expect(() => ingestNdjson("hello\nworld\n")).toThrow(MalformedBodyError);
    expect(ingestNdjson("")).toEqual({ events: [], rejected: [] });
  });
});
