import { describe, expect, it } from "vitest";
import type { Report } from "../../lib/report";
import { escapeHtml, renderReportEmail, type PreviousReport } from "../../lib/report-email";

const report: Report = {
  timestamp: "2026-11-27T08:00:00.000Z",
  total: 100,
  filters: { by: "city" },
  stats: { "Houston, TX": 50, "Austin, TX": 30, '<script>alert("x")</script>, ??': 20 },
};

/** Report #6 of the day before: 60 users, Houston 40 of them, every city kept. */
const previousReport = (extra: Partial<PreviousReport> = {}): PreviousReport => ({
  id: 6,
  timestamp: "2026-11-26T08:00:00.000Z",
  total: 60,
  stats: { "Houston, TX": 40 },
  complete: true,
  ...extra,
});

describe("report email", () => {
  it("escapes user data in the HTML", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
    );
    const { html } = renderReportEmail(report, undefined);
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;");
  });

  it("has totals, a bar per charted city in order, and the rest summed", () => {
    const { html, subject } = renderReportEmail(report, undefined, 2);
    expect(subject).toBe("User stats report, 2026-11-27: 100 users");
    expect(html).toContain(">100 <span");
    const houston = html.indexOf("Houston, TX");
    const austin = html.indexOf("Austin, TX");
    expect(houston).toBeGreaterThan(0);
    expect(austin).toBeGreaterThan(houston);
    // Bars are table cells sized relative to the biggest city: 100 % and 60 %.
    const houstonRow = html.split("Houston, TX")[1]?.split("<tr>\n")[0] ?? "";
    expect(houstonRow).toContain('<table role="presentation" width="100%"');
    expect(houstonRow).toContain(">50<");
    expect(html).toContain('width="60%"');
    expect(html).toMatch(/1 more cities<\/td><td[^>]*>20</);
    expect(html).toContain("(first report)");
  });

  it("shows the change since the previous report, and that the counts are of every user so far", () => {
    const previous = previousReport();
    const { html, text } = renderReportEmail(report, previous);
    expect(html).toContain("+40 since the previous report");
    // The counts are of every user so far; only the changes cover the time since the last report.
    expect(html).toContain(
      "Every user counted up to 2026-11-27 08:00:00 UTC; changes are since report #6 of 2026-11-26 08:00:00 UTC.",
    );
    expect(html).toMatch(/Houston, TX.*\+10/s);
    expect(html).toMatch(/Austin, TX.*\+30/s);
    expect(text).toContain("New users since then: +40.");
    const fewer = renderReportEmail({ ...report, total: 50 }, previous);
    expect(fewer.html).toContain("−10 since the previous report");
  });

  it("leaves the change of a city blank when the previous report kept only its biggest, not that one", () => {
    const previous = previousReport({ complete: false });
    const { html } = renderReportEmail(report, previous);
    expect(html).toMatch(/Houston, TX.*\+10/s);
    // Austin had up to 40 then, not 0: no "+30".
    const austinRow = html.split("Austin, TX")[1]?.split("<tr>\n")[0] ?? "";
    expect(austinRow).toContain("30<");
    expect(austinRow).not.toMatch(/\+\d/);
    expect(html).toContain("A city without a change was not among that report&#39;s biggest");
    // Every charted city among them: nothing to explain.
    const known = renderReportEmail(report, {
      ...previous,
      stats: { "Houston, TX": 40, "Austin, TX": 10, '<script>alert("x")</script>, ??': 10 },
    });
    expect(known.html).not.toContain("A city without a change");
    expect(known.html).toMatch(/Austin, TX.*\+20/s);
  });

  it("shows only the change of the total when the previous report's cities are keyed otherwise", () => {
    const previous = previousReport({ stats: undefined });
    const { html } = renderReportEmail(report, previous);
    expect(html).toContain("+40 since the previous report");
    expect(html).toContain(
      "Addresses were cleaned again since that report (or it predates the record of that), so changes per city are not shown this time.",
    );
    expect(html).not.toContain(">Change<");
    expect(html).not.toMatch(/Houston, TX.*\+/s);
  });

  it("attaches the full table as CSV and has a plain-text alternative", () => {
    const { csv, csvFilename, text } = renderReportEmail(report, undefined, 1);
    expect(csvFilename).toBe("user-stats-2026-11-27.csv");
    expect(csv.split("\n")).toHaveLength(5);
    expect(csv).toContain("Houston,TX,US,50");
    expect(text).toContain("Distinct users: 100");
    expect(text).toContain("The full table (3 cities) is attached as CSV.");
  });
});
