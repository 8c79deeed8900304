/**
 * The gateway's cache of userstats's JSON reports, one entry per query. Under a continuous ingest the
 * counts change every few milliseconds, while userstats rebuilds a report at most every 250 ms; before
 * this cache knew that, every request after a change fetched the same ~200 KiB again over RabbitMQ
 * (a soak spent a quarter of userstats's and the gateway's CPU encoding and decoding them). Now:
 * - an entry is served without asking while it is current (no newer version announced) or while
 *   userstats said it would answer the same build anyway (`freshForMs`), and for at most a second;
 * - otherwise the gateway asks with the version it holds, and userstats answers "not modified"
 *   (a few bytes) when its build is the same one;
 * - requests for a query already being asked wait for that answer instead of asking again.
 */
import { reportTail } from "./report-answer";

/** Longest time an entry is served without asking userstats (a missed announcement costs no more). */
export const REPORT_CACHE_MAX_AGE_MS = 1000;
/** Entries kept at most; the cache starts afresh beyond it (queries are few: by, top, window). */
export const REPORT_CACHE_MAX_ENTRIES = 64;

/** What userstats answered to a report asked with the version the gateway holds. */
export type ReportReply =
  | { notModified: true; version: number; freshForMs: number }
  | { notModified: false; version: number; freshForMs: number; json: string };

export interface CachedReport {
  /** The store version the report was built at. */
  version: number;
  /** The report's JSON after its timestamp (lib/report-answer.ts). */
  tail: Buffer;
  /** When userstats last confirmed or sent it (on the cache's clock). */
  checkedAt: number;
  /** Until when userstats answers this same build whatever changed (on the cache's clock). */
  freshUntil: number;
}

export class ReportCache {
  /** The newest store version announced or seen in an answer. */
  private latest = -1;
  private readonly entries = new Map<string, CachedReport>();
  private readonly asking = new Map<string, Promise<CachedReport>>();

  /** `now` measures intervals in ms: monotonic, so that a step of the wall clock changes nothing. */
  constructor(private readonly now: () => number = () => performance.now()) {}

  /** userstats stored new events up to this version. */
  noteVersion(version: number): void {
    if (version > this.latest) this.latest = version;
  }

  /** The entry for a query if it may be served now without asking userstats. */
  current(key: string): CachedReport | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    const now = this.now();
    if (now - entry.checkedAt >= REPORT_CACHE_MAX_AGE_MS) return undefined;
    return entry.version >= this.latest || now < entry.freshUntil ? entry : undefined;
  }

  /**
   * The entry for a query, served from the cache when allowed, otherwise asked with `ask(have)`,
   * where `have` is the version held (undefined when none); one question per query at a time.
   */
  async get(
    key: string,
    ask: (have: number | undefined) => Promise<ReportReply>,
  ): Promise<CachedReport> {
    const served = this.current(key);
    if (served !== undefined) return served;
    const pending = this.asking.get(key);
    if (pending !== undefined) return pending;
    const asked = this.refresh(key, ask).finally(() => this.asking.delete(key));
    this.asking.set(key, asked);
    return asked;
  }

  private async refresh(
    key: string,
    ask: (have: number | undefined) => Promise<ReportReply>,
  ): Promise<CachedReport> {
    const held = this.entries.get(key);
    const reply = await ask(held?.version);
    const now = this.now();
    this.noteVersion(reply.version);
    const freshUntil = now + Math.max(0, reply.freshForMs);
    if (reply.notModified) {
      if (held === undefined || held.version !== reply.version) {
        throw new Error(
          `userstats answered "not modified" for version ${reply.version}, but the gateway holds ${held?.version ?? "none"}`,
        );
      }
      held.checkedAt = now;
      held.freshUntil = freshUntil;
      return held;
    }
    const entry = {
      version: reply.version,
      tail: reportTail(reply.json),
      checkedAt: now,
      freshUntil,
    };
    if (!this.entries.has(key) && this.entries.size >= REPORT_CACHE_MAX_ENTRIES)
      this.entries.clear();
    this.entries.set(key, entry);
    return entry;
  }
}
