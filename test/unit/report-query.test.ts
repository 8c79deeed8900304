import { describe, expect, it } from "vitest";
import { parseBound, parseReportQuery } from "../../lib/report-query";

describe("report query", () => {
  it("defaults to cities as JSON, no window", () => {
    expect(parseReportQuery({})).toEqual({ by: "city", format: "json" });
  });

  it("takes by, top, from, to and format", () => {
    expect(
      parseReportQuery({
        by: "state",
        top: "5",
        from: "2026-11-01",
        to: "2026-11-27",
        format: "csv",
      }),
    ).toEqual({
      by: "state",
      top: 5,
      from: "2026-11-01T00:00:00.000Z",
      to: "2026-11-27T23:59:59.999Z",
      format: "csv",
    });
  });

  it.each([
    ["2026-11-27", "from", "2026-11-27T00:00:00.000Z"],
    ["2026-11-27", "to", "2026-11-27T23:59:59.999Z"],
    ["2026-11-27T08:00:00Z", "to", "2026-11-27T08:00:00.000Z"],
    ["2026-11-27T10:00:00+02:00", "from", "2026-11-27T08:00:00.000Z"],
    ["2026-11-27T08:00", "from", "2026-11-27T08:00:00.000Z"],
    // An unencoded "+" in a query string arrives as a space.
    ["2026-11-27T10:00:00 02:00", "from", "2026-11-27T08:00:00.000Z"],
    ["2026-11-27T10:00:00.5 0200", "to", "2026-11-27T08:00:00.500Z"],
    // …also as an hours-only offset, which events take too.
    ["2026-11-27T10:00:00 02", "from", "2026-11-27T08:00:00.000Z"],
    ["2026-11-27T10:00:00+02", "from", "2026-11-27T08:00:00.000Z"],
    // …and after a space instead of the "T", as events take it.
    ["2026-11-27 10:00:00 02:00", "from", "2026-11-27T08:00:00.000Z"],
    ["2026-11-27 10:00 0200", "to", "2026-11-27T08:00:00.000Z"],
    ["2026-11-27 10:00:00", "from", "2026-11-27T10:00:00.000Z"],
    // RFC 3339 allows "t" and "z" in lower case.
    ["2026-11-27t08:00:00z", "from", "2026-11-27T08:00:00.000Z"],
    ["2026-02-30", "from", undefined],
    ["27/11/2026", "from", undefined],
  ] as const)("parseBound(%s, %s) = %s", (text, end, expected) => {
    expect(parseBound(text, end)).toBe(expected);
  });

  it.each([
    [{ by: "zip" }, ["by"]],
    [{ top: "0" }, ["top"]],
    [{ top: "ten" }, ["top"]],
    [{ top: "100001" }, ["top"]],
    [{ format: "xml" }, ["format"]],
    [{ from: "yesterday" }, ["from"]],
    [{ to: "2026-13-01" }, ["to"]],
    [{ from: "2026-11-27", to: "2026-11-01" }, ["from"]],
    [{ by: ["city", "state"] }, ["by"]],
    [{ form: "csv" }, ["form"]],
    [{ by: "zip", top: "-1", format: "pdf" }, ["by", "format", "top"]],
  ])("answers 422 naming the bad parameters for %j", (params, fields) => {
    let error: unknown;
    try {
      parseReportQuery(params);
    } catch (err) {
      error = err;
    }
    expect((error as { code: number }).code).toBe(422);
    const named = (error as { data: { field: string }[] }).data.map(p => p.field);
    expect([...new Set(named)].sort()).toEqual(fields);
    for (const f of fields) expect((error as Error).message).toContain(f);
  });
});
