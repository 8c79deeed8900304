/** Building a stats report from running counts, and rendering it as plain text for email and logs. */

/** Reads counts; implemented by a pipeline's store. */
export interface CountsReader {
  total(): number;
  counts(dim: string, top?: number): [string, number][];
}

export interface Report {
  /** When the report was built (ISO-8601). */
  timestamp: string;
  /** Distinct users counted. */
  total: number;
  /** Count per key, biggest first. */
  stats: Record<string, number>;
}

/** The report of one dimension (biggest first), optionally only its top entries. */
export function buildReport(
  source: CountsReader,
  dim: string,
  opts: { top?: number; now?: Date } = {},
): Report {
  const stats: Record<string, number> = {};
  for (const [key, n] of source.counts(dim, opts.top)) stats[key] = n;
  return { timestamp: (opts.now ?? new Date()).toISOString(), total: source.total(), stats };
}

/** The subject line of a report email: carries the report's date. */
export function reportSubject(report: Report, label = "User stats"): string {
  return `${label} report, ${report.timestamp.slice(0, 10)}: ${report.total.toLocaleString("en-US")} users`;
}

/** A readable plain-text table of the report (top `rows` entries and a line for the rest). */
export function renderReportText(
  report: Report,
  opts: { rows?: number; heading?: string } = {},
): string {
  const rows = opts.rows ?? 50;
  const entries = Object.entries(report.stats);
  const shown = entries.slice(0, rows);
  const width = Math.max(4, ...shown.map(([k]) => k.length));
  const total = report.total;
  const pct = (n: number): string =>
    (total === 0 ? "0.0" : ((100 * n) / total).toFixed(1)).padStart(5);
  const lines = [
    opts.heading ?? "User stats report",
    `Generated: ${report.timestamp}`,
    `Distinct users: ${total.toLocaleString("en-US")}`,
    "",
    `${"City".padEnd(width)}  ${"Users".padStart(9)}  Share`,
    `${"-".repeat(width)}  ${"-".repeat(9)}  -----`,
    ...shown.map(
      ([k, n]) => `${k.padEnd(width)}  ${n.toLocaleString("en-US").padStart(9)}  ${pct(n)}%`,
    ),
  ];
  const rest = entries.slice(rows);
  if (rest.length > 0) {
    const restSum = rest.reduce((s, [, n]) => s + n, 0);
    lines.push(
      `${`(${rest.length.toLocaleString("en-US")} more)`.padEnd(width)}  ${restSum.toLocaleString("en-US").padStart(9)}  ${pct(restSum)}%`,
    );
  }
  return lines.join("\n") + "\n";
}
