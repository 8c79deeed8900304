import { describe, expect, it } from "vitest";
import { buildReport, renderReportText, reportSubject, type CountsReader } from "../../lib/report";

const source: CountsReader = {
  total: () => 60,
  counts: (_dim, top) => {
    const all: [string, number][] = [
      ["Houston", 30],
      ["Austin", 20],
      ["Reno", 10],
    ];
    return top === undefined ? all : all.slice(0, top);
  },
};

describe("report", () => {
  const now = new Date("2026-11-27T08:00:00.000Z");

  it("keeps the order of the counts (biggest first) and the total", () => {
    const r = buildReport(source, "city", { now });
    expect(r).toEqual({
      timestamp: "2026-11-27T08:00:00.000Z",
      total: 60,
      stats: { Houston: 30, Austin: 20, Reno: 10 },
    });
    expect(Object.keys(r.stats)).toEqual(["Houston", "Austin", "Reno"]);
    expect(buildReport(source, "city", { now, top: 1 }).stats).toEqual({ Houston: 30 });
  });

  it("puts the date and the total in the subject", () => {
    expect(reportSubject(buildReport(source, "city", { now }))).toBe(
      "User stats report, 2026-11-27: 60 users",
    );
  });

  it("renders a readable table with shares and a line for the rest", () => {
    const text = renderReportText(buildReport(source, "city", { now }), { rows: 2 });
    expect(text).toContain("Distinct users: 60");
    expect(text).toMatch(/Houston\s+30\s+50\.0%/);
    expect(text).toMatch(/Austin\s+20\s+33\.3%/);
    expect(text).not.toMatch(/Reno/);
    expect(text).toMatch(/\(1 more\)\s+10\s+16\.7%/);
  });

  it("renders an empty report without dividing by zero", () => {
    const empty = buildReport({ total: () => 0, counts: () => [] }, "city", { now });
    expect(renderReportText(empty)).toContain("Distinct users: 0");
  });
});
