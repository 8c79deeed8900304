/**
 * The reports a stats service keeps built, as JSON text, one per query ("by|top|from|to"). Under a
 * continuous ingest the store changes every few milliseconds; a report is rebuilt when its store
 * changed, but not before its reuse time, so that reports take at most a third of the service's
 * time and the consumer keeps going. Every answer carries the store version it was built at, which
 * lets the gateway's cache (lib/report-cache.ts) ask "anything newer than what I hold?" and get
 * "not modified" instead of the same bytes again.
 */
import { buildReport, isWindowed, reportOf, type CountsReader, type ReportFilters } from "./report";
import type { WindowAnswer } from "./report-thread";

/** Shortest time between two rebuilds of one report while the store keeps changing. */
export const REPORT_REBUILD_MS = 250;
/** Reports kept built: those without a window (by × top), and those of windows (oldest dropped). */
export const KEPT_DEFAULTS = 32;
export const KEPT_WINDOWS = 4;

/** A store whose counts a report is built from, with a version that grows when they change. */
export interface VersionedCounts extends CountsReader {
  readonly version: number;
}

/** What a query answers: the JSON, or nothing when the caller already holds this build. */
export interface BuiltReportAnswer {
  json: string | undefined;
  /** The store version the build holds (may be older than the store's, within its reuse time). */
  version: number;
  /** How long this build is answered whatever the store does (0 once a rebuild is due). */
  freshForMs: number;
}

interface Build {
  version: number;
  /** On performance.now(), which a step of the wall clock does not move. */
  builtAt: number;
  reuseMs: number;
  total: number;
  stats: string;
}

const keyOf = (f: ReportFilters): string => `${f.by}|${f.top ?? ""}|${f.from ?? ""}|${f.to ?? ""}`;

/** Counts a report over a time window elsewhere (the report thread), off the caller's thread. */
export type WindowCounter = (filters: ReportFilters) => Promise<WindowAnswer>;

/** Reports built from one store, reused while current or within their reuse time. */
export class BuiltReports {
  private readonly builds = new Map<string, Build>();
  private readonly windowed = new Set<string>();
  /** Builds of windows being counted: the same query asked again meanwhile waits for that one. */
  private readonly counting = new Map<string, Promise<Build>>();

  /**
   * With `countWindow`, reports over a time window are counted by it (off this thread); the
   * others are read from the store's counters right here.
   */
  constructor(
    private readonly store: VersionedCounts,
    private readonly clock: () => number = () => performance.now(),
    private readonly countWindow?: WindowCounter,
  ) {}

  /**
   * The report of `filters` as JSON text; `have` is the version the caller holds, answered with
   * `json: undefined` when it is the build's own.
   */
  async get(filters: ReportFilters, have?: number): Promise<BuiltReportAnswer> {
    const key = keyOf(filters);
    let build = this.builds.get(key);
    const fresh =
      build !== undefined &&
      (build.version === this.store.version || this.clock() - build.builtAt < build.reuseMs);
    if (build === undefined || !fresh) {
      if (this.countWindow !== undefined && isWindowed(filters)) {
        build = await this.countElsewhere(key, filters, this.countWindow);
      } else {
        build = this.build(filters);
        this.keep(key, isWindowed(filters), build);
      }
    }
    const timestamp = new Date().toISOString();
    const freshForMs = Math.max(0, build.builtAt + build.reuseMs - this.clock());
    if (have === build.version) return { json: undefined, version: have, freshForMs };
    return {
      json: `{"timestamp":"${timestamp}","total":${build.total},"filters":${JSON.stringify(filters)},"stats":${build.stats}}`,
      version: build.version,
      freshForMs,
    };
  }

  private build(filters: ReportFilters): Build {
    const started = this.clock();
    const version = this.store.version;
    const report = buildReport(this.store, filters);
    const stats = JSON.stringify(report.stats);
    const builtAt = this.clock();
    // Twice the build's own time when that is longer (a window over a million events takes
    // ~0.5 s to count).
    const reuseMs = Math.max(REPORT_REBUILD_MS, 2 * (builtAt - started));
    return { version, builtAt, reuseMs, total: report.total, stats };
  }

  private countElsewhere(
    key: string,
    filters: ReportFilters,
    countWindow: WindowCounter,
  ): Promise<Build> {
    const running = this.counting.get(key);
    if (running !== undefined) return running;
    const started = this.clock();
    // The version before counting: the count holds at least what it says (a gateway may ask again).
    const version = this.store.version;
    const counted = countWindow(filters)
      .then(({ total, counts }) => {
        const stats = JSON.stringify(reportOf(filters, total, counts).stats);
        const builtAt = this.clock();
        const build = {
          version,
          builtAt,
          reuseMs: Math.max(REPORT_REBUILD_MS, 2 * (builtAt - started)),
          total,
          stats,
        };
        this.keep(key, true, build);
        return build;
      })
      .finally(() => this.counting.delete(key));
    this.counting.set(key, counted);
    return counted;
  }

  private keep(key: string, windowed: boolean, build: Build): void {
    if (!this.builds.has(key)) {
      // Windows are many and their reports can be large: fewer of them are kept.
      const limit = windowed ? KEPT_WINDOWS : KEPT_DEFAULTS;
      const kept = [...this.builds.keys()].filter(k => this.windowed.has(k) === windowed);
      const oldest = kept[0];
      if (kept.length >= limit && oldest !== undefined) {
        this.builds.delete(oldest);
        this.windowed.delete(oldest);
      }
    }
    // Re-inserted, so that the map's order is the order builds were made in.
    this.builds.delete(key);
    this.builds.set(key, build);
    if (windowed) this.windowed.add(key);
  }
}
