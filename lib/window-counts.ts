/**
 * Counts of the user events stored in a time window (inclusive at both ends, on the events' own
 * datetime), read through the `(datetime, city, state, country)` index. Used by the store itself
 * and, on a connection of its own, by the report thread (lib/report-thread.ts), so that a window
 * over a million events does not hold up the consumer.
 */
import type { Statement } from "better-sqlite3";
import { CITY_KEY_SQL, UNKNOWN } from "./normalize";
import type { CountsWindow } from "./report";
import type { ReportDimension } from "./report-query";
import type { Db } from "./sqlite";

/**
 * The upper bound of a window open at its end: the last instant an event's canonical datetime can
 * name ("9999" alone sorts before every datetime of year 9999, which were then left out).
 */
const LAST = "9999-12-31T23:59:59.999Z";

export class WindowCounts {
  private readonly totalQuery: Statement<[string, string]>;
  private readonly queries: Record<ReportDimension, Statement<[string, string, number]>>;

  constructor(db: Db) {
    const where = "WHERE datetime >= ? AND datetime <= ?";
    this.totalQuery = db.prepare(`SELECT COUNT(*) AS n FROM user_events ${where}`);
    this.queries = {
      city: db.prepare(
        `SELECT ${CITY_KEY_SQL} AS key, COUNT(*) AS n FROM user_events ${where}
         GROUP BY key ORDER BY n DESC, key LIMIT ?`,
      ),
      state: db.prepare(
        `SELECT COALESCE(state, '${UNKNOWN}') AS key, COUNT(*) AS n FROM user_events ${where}
         GROUP BY state ORDER BY n DESC, key LIMIT ?`,
      ),
      country: db.prepare(
        `SELECT COALESCE(country, '${UNKNOWN}') AS key, COUNT(*) AS n FROM user_events ${where}
         GROUP BY country ORDER BY n DESC, key LIMIT ?`,
      ),
    };
  }

  /** Distinct users whose datetime lies in the window. */
  total(window: CountsWindow): number {
    return (this.totalQuery.get(window.from ?? "", window.to ?? LAST) as { n: number }).n;
  }

  /** Keys with their counts in the window, biggest first (ties by key), the top N when given. */
  counts(dim: string, opts: CountsWindow & { top?: number }): [string, number][] {
    const query = this.queries[dim as ReportDimension] as
      Statement<[string, string, number]> | undefined;
    if (query === undefined) throw new Error(`Unknown dimension "${dim}"`);
    const rows = query.all(opts.from ?? "", opts.to ?? LAST, opts.top ?? -1) as {
      key: string;
      n: number;
    }[];
    return rows.map(r => [r.key, r.n]);
  }
}
