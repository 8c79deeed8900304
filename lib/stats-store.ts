/**
 * The userstats SQLite store: one row per distinct user (keyed by id, so a redelivered event changes
 * nothing) and running counts per city, state and country for cheap reports.
 */
import { CountDeltas, CountsTable } from "./counts-table";
import { openDatabase, pingDatabase, type Db } from "./sqlite";
import type { UserEvent } from "./user-event";

export type Dimension = "city" | "state" | "country";
export const DIMENSIONS: readonly Dimension[] = ["city", "state", "country"];

export interface WriteResult {
  inserted: number;
  duplicates: number;
}

/** Where a batch of events goes; implemented by each pipeline's store. */
export interface EventSink<T> {
  /** Stores the events in one transaction; events already stored are skipped. */
  write(events: readonly T[]): WriteResult;
}

/** What a report reads. */
export interface CountsSource<D extends string> {
  total(): number;
  counts(dim: D, top?: number): [string, number][];
}

/** The count keys of one event. */
export function dimensionKeys(e: UserEvent): [Dimension, string][] {
  return [
    ["city", e.address.city],
    ["state", e.address.state],
    ["country", e.address.country],
  ];
}

export class UserStatsStore implements EventSink<UserEvent>, CountsSource<Dimension> {
  readonly db: Db;
  private readonly countsTable: CountsTable;
  private readonly insert;
  private readonly writeTx;
  /** Increases with every write that stored something (report caches key on it). */
  version = 0;

  constructor(readonly file: string) {
    this.db = openDatabase(file);
    this.db.exec(`CREATE TABLE IF NOT EXISTS user_events (
      id TEXT PRIMARY KEY,
      datetime TEXT NOT NULL,
      city TEXT NOT NULL,
      state TEXT NOT NULL,
      country TEXT NOT NULL,
      post_code TEXT NOT NULL,
      received_at TEXT NOT NULL
    ) WITHOUT ROWID`);
    this.countsTable = new CountsTable(this.db);
    this.insert = this.db.prepare(
      `INSERT INTO user_events (id, datetime, city, state, country, post_code, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    );
    this.writeTx = this.db.transaction((events: readonly UserEvent[]): WriteResult => {
      const receivedAt = new Date().toISOString();
      const deltas = new CountDeltas();
      for (const e of events) {
        const a = e.address;
        const datetime = new Date(e.datetime).toISOString();
        const { changes } = this.insert.run(
          e.id,
          datetime,
          a.city,
          a.state,
          a.country,
          a.postCode,
          receivedAt,
        );
        if (changes === 1) deltas.count(dimensionKeys(e));
      }
      this.countsTable.add(deltas.byDim, deltas.total);
      return { inserted: deltas.total, duplicates: events.length - deltas.total };
    });
  }

  write(events: readonly UserEvent[]): WriteResult {
    const result = this.writeTx(events);
    if (result.inserted > 0) this.version++;
    return result;
  }

  total(): number {
    return this.countsTable.total();
  }

  counts(dim: Dimension, top?: number): [string, number][] {
    return this.countsTable.top(dim, top);
  }

  /** Throws unless the database answers. */
  ping(): void {
    pingDatabase(this.db);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
