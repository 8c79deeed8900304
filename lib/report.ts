/** Building a stats report from counts, and rendering it as plain text (email, logs) and CSV. */
import { stringify } from "csv-stringify/sync";
import { splitCityKey, UNKNOWN } from "./normalize";
import type { ReportDimension } from "./report-query";

export interface CountsWindow {
  /** UTC ISO-8601, inclusive. */
  from?: string;
  /** UTC ISO-8601, inclusive. */
  to?: string;
}

/** Reads counts; implemented by a pipeline's store. */
export interface CountsReader {
  /** Distinct users, in the window when one is given. */
  total(window?: CountsWindow): number;
  /** Keys with their counts, biggest first (ties by key). */
  counts(dim: string, opts?: CountsWindow & { top?: number }): [string, number][];
}

/** What a report was asked for; echoed in the answer so a reader knows what the numbers cover. */
export interface ReportFilters extends CountsWindow {
  by: ReportDimension;
  top?: number;
}

export interface Report {
  /** When the report was built (ISO-8601). */
  timestamp: string;
  /** Distinct users counted (in the window, if any). */
  total: number;
  filters: ReportFilters;
  /**
   * Count per key, biggest first. Keys: "City, ST" (unknown state: "City, ??"; another country:
   * "City (CC)"), "ST", or country.
   */
  stats: Record<string, number>;
}

/** The report of one dimension (biggest first), with the filters it applied. */
export function buildReport(
  source: CountsReader,
  filters: ReportFilters,
  now = new Date(),
): Report {
  const window = windowOf(filters);
  return reportOf(
    filters,
    source.total(window),
    source.counts(filters.by, { ...window, top: filters.top }),
    now,
  );
}

/**
 * The report's first `n` keys. When that leaves keys out, `filters.top` says so (as if it had been
 * asked with top=n): a stored or answered report that lost keys never looks complete.
 */
export function topOf(report: Report, n: number): Report {
  const keys = Object.keys(report.stats);
  if (keys.length <= n) return report;
  return {
    ...report,
    filters: { ...report.filters, top: Math.min(report.filters.top ?? n, n) },
    stats: Object.fromEntries(Object.entries(report.stats).slice(0, n)),
  };
}

/** The time window of a report's filters (none when neither end is given). */
function windowOf(filters: ReportFilters): CountsWindow {
  const window: CountsWindow = {};
  if (filters.from !== undefined) window.from = filters.from;
  if (filters.to !== undefined) window.to = filters.to;
  return window;
}

/** Whether a report's filters (or a window) ask for a time window. */
export function isWindowed(filters: CountsWindow): boolean {
  return filters.from !== undefined || filters.to !== undefined;
}

/** The report of counts already read (biggest first). */
export function reportOf(
  filters: ReportFilters,
  total: number,
  counts: [string, number][],
  now = new Date(),
): Report {
  // fromEntries defines each key as an own property: a country sent as "__proto__" is counted
  // like any other, where assigning it would have set the object's prototype instead.
  return {
    timestamp: now.toISOString(),
    total,
    filters: { ...filters },
    stats: Object.fromEntries(counts),
  };
}

const LABELS: Record<ReportDimension, string> = {
  city: "City",
  state: "State",
  country: "Country",
};

/** The subject line of a report email: carries the report's date. */
export function reportSubject(report: Report, label = "User stats"): string {
  return `${label} report, ${report.timestamp.slice(0, 10)}: ${report.total.toLocaleString("en-US")} users`;
}

/**
 * Place names come from users: one starting with `=`, `+`, `-` or `@` would be a formula to the
 * spreadsheet a manager opens the attachment in, so it gets a leading `'` (csv-stringify's option).
 */
const CSV_OPTIONS = { escape_formulas: true } as const;

/**
 * The report as CSV: for cities the columns city, state, country, users (empty when unknown);
 * otherwise <by>, users.
 */
export function reportToCsv(report: Report): string {
  const by = report.filters.by;
  const entries = Object.entries(report.stats);
  if (by === "city") {
    const rows = entries.map(([key, n]) => {
      const { city, state, country } = splitCityKey(key);
      return [city, state ?? "", country ?? "", n];
    });
    return stringify([["city", "state", "country", "users"], ...rows], CSV_OPTIONS);
  }
  return stringify(
    [[by, "users"], ...entries.map(([key, n]) => [key === UNKNOWN ? "" : key, n])],
    CSV_OPTIONS,
  );
}

/** A readable plain-text table of the report (top `rows` entries and a line for the rest). */
export function renderReportText(
  report: Report,
  opts: { rows?: number; heading?: string } = {},
): string {
  const rows = opts.rows ?? 50;
  const entries = Object.entries(report.stats);
  const shown = entries.slice(0, rows);
  const rest = entries.slice(rows);
  // The entries past the first `rows`, in one line of their own.
  const more: [string, number][] =
    rest.length === 0
      ? []
      : [[`(${rest.length.toLocaleString("en-US")} more)`, rest.reduce((s, [, n]) => s + n, 0)]];
  const table = [...shown, ...more].map(([k, n]) => ({ k, n, users: n.toLocaleString("en-US") }));
  const label = LABELS[report.filters.by];
  // Each column as wide as its widest cell: the users column at least as wide as "999,999,999".
  const width = Math.max(label.length, ...table.map(r => r.k.length));
  const usersWidth = Math.max(9, ...table.map(r => r.users.length));
  const total = report.total;
  const pct = (n: number): string =>
    (total === 0 ? "0.0" : ((100 * n) / total).toFixed(1)).padStart(5);
  const lines = [
    opts.heading ?? "User stats report",
    `Generated: ${report.timestamp}`,
    `Distinct users: ${total.toLocaleString("en-US")}`,
  ];
  if (report.filters.from !== undefined || report.filters.to !== undefined) {
    lines.push(
      `Events from ${report.filters.from ?? "the start"} to ${report.filters.to ?? "now"}`,
    );
  }
  lines.push(
    "",
    // The share column is "100.0%" wide: its heading and rule are right-aligned to it.
    `${label.padEnd(width)}  ${"Users".padStart(usersWidth)}  ${"Share".padStart(6)}`,
    `${"-".repeat(width)}  ${"-".repeat(usersWidth)}  ${"-".repeat(6)}`,
    ...table.map(r => `${r.k.padEnd(width)}  ${r.users.padStart(usersWidth)}  ${pct(r.n)}%`),
  );
  return lines.join("\n") + "\n";
}
