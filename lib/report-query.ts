/**
 * The query of a report: which dimension, how many rows, which time window (on the events' own
 * datetime, inclusive at both ends) and which format. Parsed strictly from query-string values;
 * every bad parameter is named in one 422.
 */
import { invalidParameters, notOneOf, unknownParameters } from "./count-param";
import { toUtcIso } from "./user-event";

export const REPORT_DIMENSIONS = ["city", "state", "country"] as const;
export type ReportDimension = (typeof REPORT_DIMENSIONS)[number];
export const REPORT_FORMATS = ["json", "csv"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface ReportQuery {
  by: ReportDimension;
  top?: number;
  /** UTC ISO-8601, inclusive. */
  from?: string;
  /** UTC ISO-8601, inclusive. */
  to?: string;
  format: ReportFormat;
}

export const MAX_TOP = 100_000;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A date or date-time as a UTC instant. A bare date means the start of that day (UTC) for `from`
 * and its last millisecond for `to`, so `to=2026-11-27` includes the whole day.
 */
export function parseBound(value: string, end: "from" | "to"): string | undefined {
  // A query string turns an unencoded "+" into a space: `from=…T10:00:00+02:00` arrives as
  // `…T10:00:00 02:00` (or `… 02`, `… 0200`; a space may stand for the "T" too). A space right
  // before a final offset can only have been that "+".
  const text = value
    .trim()
    .replace(
      /^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$/,
      "$1+$2",
    );
  if (DATE_ONLY.test(text)) {
    const start = toUtcIso(`${text}T00:00:00Z`);
    if (start === undefined) return undefined;
    return end === "from" ? start : new Date(Date.parse(start) + 86_400_000 - 1).toISOString();
  }
  return toUtcIso(text);
}

interface Problem {
  field: string;
  type: string;
  message: string;
  actual: unknown;
  expected?: unknown;
}

/** Parses report parameters (strings from a query string, or typed values from RPC callers). */
export function parseReportQuery(params: Record<string, unknown>): ReportQuery {
  const problems: Problem[] = [];
  const text = (name: string): string | undefined => {
    const v = params[name];
    if (v === undefined || v === null || v === "") return undefined;
    if (typeof v === "string") return v;
    if (typeof v === "number") return String(v);
    problems.push({
      field: name,
      type: "string",
      message: `'${name}' must be a single value.`,
      actual: v,
    });
    return undefined;
  };

  const by = text("by") ?? "city";
  if (!(REPORT_DIMENSIONS as readonly string[]).includes(by)) {
    problems.push(notOneOf("by", REPORT_DIMENSIONS, by));
  }
  const format = text("format") ?? "json";
  if (!(REPORT_FORMATS as readonly string[]).includes(format)) {
    problems.push(notOneOf("format", REPORT_FORMATS, format));
  }
  let top: number | undefined;
  const topText = text("top");
  if (topText !== undefined) {
    if (!/^\d+$/.test(topText) || Number(topText) < 1 || Number(topText) > MAX_TOP) {
      problems.push({
        field: "top",
        type: "number",
        message: `'top' must be a whole number from 1 to ${MAX_TOP}.`,
        actual: topText,
      });
    } else {
      top = Number(topText);
    }
  }
  const bound = (name: "from" | "to"): string | undefined => {
    const raw = text(name);
    if (raw === undefined) return undefined;
    const parsed = parseBound(raw, name);
    if (parsed === undefined) {
      problems.push({
        field: name,
        type: "datetime",
        message: `'${name}' must be an ISO-8601 date (2026-11-27) or date-time (2026-11-27T08:00:00Z).`,
        actual: raw,
      });
    }
    return parsed;
  };
  const from = bound("from");
  const to = bound("to");
  if (from !== undefined && to !== undefined && from > to) {
    problems.push({
      field: "from",
      type: "dateRange",
      message: "'from' must not be after 'to'.",
      actual: params.from,
    });
  }
  problems.push(...unknownParameters(params, ["by", "top", "from", "to", "format"]));
  if (problems.length > 0) throw invalidParameters(problems);
  const query: ReportQuery = { by: by as ReportDimension, format: format as ReportFormat };
  if (top !== undefined) query.top = top;
  if (from !== undefined) query.from = from;
  if (to !== undefined) query.to = to;
  return query;
}
