/**
 * The report email: an HTML part a manager reads gladly (totals, change since the previous report,
 * a bar chart of the top cities drawn with tables and inline CSS, which mail clients render), a
 * plain-text alternative, and the full table as a CSV attachment.
 */
import { renderReportText, reportSubject, reportToCsv, type Report } from "./report";

/** What the previous report said, for "change since". */
export interface PreviousReport {
  id: number;
  timestamp: string;
  total: number;
  /**
   * Its per-city counts; undefined when the stored events were cleaned again after it (a migration
   * or `npm run reclean`), or it is too old to tell, so that its city keys may not be this report's
   * and only the totals compare.
   */
  stats: Record<string, number> | undefined;
  /**
   * Whether `stats` holds every city it counted (false when only its biggest were kept): a city
   * missing from a complete one had none, from another an unknown number.
   */
  complete: boolean;
}

export interface ReportEmail {
  subject: string;
  text: string;
  html: string;
  csv: string;
  csvFilename: string;
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Text safe to put in HTML (city names come from users). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, ch => ESCAPES[ch] as string);
}

const fmt = (n: number): string => n.toLocaleString("en-US");
const signed = (n: number): string => (n > 0 ? `+${fmt(n)}` : n < 0 ? `−${fmt(-n)}` : "±0");
const when = (iso: string): string =>
  iso
    .replace("T", " ")
    .replace(/\.\d+Z$/, " UTC")
    .replace(/Z$/, " UTC");

/**
 * Renders the email of a report; `rows` cities are charted, all of them are in the CSV, which is
 * attached, or, for a report that is logged instead of emailed, at `csvAt`.
 */
export function renderReportEmail(
  report: Report,
  previous: PreviousReport | undefined,
  rows = 15,
  csvAt?: string,
): ReportEmail {
  const entries = Object.entries(report.stats);
  const top = entries.slice(0, rows);
  const max = Math.max(1, ...top.map(([, n]) => n));
  const change = previous === undefined ? undefined : report.total - previous.total;
  const previousStats = previous?.stats;
  // A city among these rows that the previous report's kept cities leave out, with some of them.
  const untold =
    previousStats !== undefined &&
    previous?.complete === false &&
    top.some(([city]) => previousStats[city] === undefined);
  const window =
    previous === undefined
      ? `Every user counted up to ${when(report.timestamp)} (first report).`
      : `Every user counted up to ${when(report.timestamp)}; changes are since report #${previous.id} of ${when(previous.timestamp)}.` +
        (previousStats === undefined
          ? " Addresses were cleaned again since that report (or it predates the record of that), so changes per city are not shown this time."
          : untold
            ? " A city without a change was not among that report's biggest, whose counts alone it keeps."
            : "");

  const fullTable = `The full table (${fmt(entries.length)} ${entries.length === 1 ? "city" : "cities"}) is ${csvAt === undefined ? "attached as CSV" : `at ${csvAt} as CSV`}`;
  const text = [
    renderReportText(report, { rows }).trimEnd(),
    "",
    change === undefined ? window : `${window} New users since then: ${signed(change)}.`,
    `${fullTable}.`,
    "",
  ].join("\n");

  const cell = "padding:6px 8px;border-bottom:1px solid #e5e7eb;font-size:14px;";
  const chartRows = top
    .map(([city, n]) => {
      const pct = report.total === 0 ? 0 : (100 * n) / report.total;
      const width = Math.max(1, Math.round((100 * n) / max));
      const before = previousStats?.[city] ?? (previous?.complete === true ? 0 : undefined);
      const delta = before === undefined ? "" : signed(n - before);
      return `<tr>
<td style="${cell}white-space:nowrap;">${escapeHtml(city)}</td>
<td style="${cell}width:100%;"><table role="presentation" width="${width}%" cellpadding="0" cellspacing="0" style="border-collapse:collapse;"><tr><td style="background:#2563eb;height:14px;line-height:14px;font-size:1px;">&nbsp;</td></tr></table></td>
<td style="${cell}text-align:right;white-space:nowrap;">${fmt(n)}</td>
<td style="${cell}text-align:right;color:#6b7280;white-space:nowrap;">${pct.toFixed(1)}%</td>
${previousStats === undefined ? "" : `<td style="${cell}text-align:right;color:#6b7280;white-space:nowrap;">${delta}</td>`}
</tr>`;
    })
    .join("\n");
  const head = (label: string, align = "left") =>
    `<th style="padding:6px 8px;border-bottom:2px solid #d1d5db;text-align:${align};font-size:12px;color:#6b7280;text-transform:uppercase;">${label}</th>`;
  const rest = entries.slice(rows);
  const restSum = rest.reduce((s, [, n]) => s + n, 0);

  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(reportSubject(report))}</title></head>
<body style="margin:0;padding:0;background:#f3f4f6;font-family:Segoe UI,Helvetica,Arial,sans-serif;color:#111827;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f3f4f6;"><tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="640" cellpadding="0" cellspacing="0" style="max-width:640px;width:100%;background:#ffffff;border-radius:8px;">
<tr><td style="padding:24px 24px 8px;">
<div style="font-size:13px;color:#6b7280;">User stats report · ${escapeHtml(when(report.timestamp))}</div>
<div style="font-size:32px;font-weight:700;margin-top:4px;">${fmt(report.total)} <span style="font-size:16px;font-weight:400;color:#6b7280;">distinct users</span></div>
${change === undefined ? "" : `<div style="font-size:15px;margin-top:4px;color:${change >= 0 ? "#047857" : "#b91c1c"};">${signed(change)} since the previous report</div>`}
<div style="font-size:13px;color:#6b7280;margin-top:8px;">${escapeHtml(window)}</div>
</td></tr>
<tr><td style="padding:8px 24px 16px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse;">
<tr>${head("City")}${head("")}${head("Users", "right")}${head("Share", "right")}${previousStats === undefined ? "" : head("Change", "right")}</tr>
${chartRows}
${rest.length === 0 ? "" : `<tr><td colspan="2" style="${cell}color:#6b7280;">${fmt(rest.length)} more cities</td><td style="${cell}text-align:right;color:#6b7280;">${fmt(restSum)}</td><td style="${cell}text-align:right;color:#6b7280;">${report.total === 0 ? "0.0" : ((100 * restSum) / report.total).toFixed(1)}%</td>${previousStats === undefined ? "" : `<td style="${cell}"></td>`}</tr>`}
</table>
</td></tr>
<tr><td style="padding:0 24px 24px;font-size:13px;color:#6b7280;">${escapeHtml(fullTable)}. Counting is by distinct user id; addresses are cleaned before counting.</td></tr>
</table>
</td></tr></table>
</body></html>
`;
  return {
    subject: reportSubject(report),
    text,
    html,
    csv: reportToCsv(report),
    csvFilename: `user-stats-${report.timestamp.slice(0, 10)}.csv`,
  };
}
