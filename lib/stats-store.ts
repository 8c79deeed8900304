/**
 * The userstats SQLite store: one row per distinct user (keyed by id, so a redelivered event changes
 * nothing) holding the clean address and, when cleaning changed anything, the address as received;
 * running counts per city, state and country so the default report reads a few thousand counters
 * instead of scanning events; an index on the event time for reports over a time window.
 */
import { ConsumerOffsets, type ConsumerPosition } from "./consumer-offsets";
import { CountDeltas, CountsTable } from "./counts-table";
import { CITY_KEY_SQL, cityKey, UNKNOWN, type CleanAddress, type Normalizer } from "./normalize";
import { isWindowed, type CountsReader, type CountsWindow } from "./report";
import type { ReportDimension } from "./report-query";
import { openDatabase, pingDatabase, type Db } from "./sqlite";
import type { Address, UserEvent } from "./user-event";
import { WindowCounts } from "./window-counts";

export interface WriteResult {
  inserted: number;
  duplicates: number;
  /** Duplicates that carried an earlier datetime than the one stored, which now counts. */
  moved: number;
}

/** Where a batch of events goes; implemented by each pipeline's store. */
export interface EventSink<T> {
  /**
   * Stores the events in one transaction; events already stored are skipped. Takes any iterable, so
   * a consumer can decode records one at a time inside the transaction (they die young). With a
   * position, records it in the same transaction (where the consumer stands, see ConsumerOffsets).
   */
  write(events: Iterable<T>, position?: ConsumerPosition): WriteResult;
}

/** The count keys of one clean address. */
export function dimensionKeys(a: CleanAddress): [ReportDimension, string][] {
  return [
    ["city", cityKey(a)],
    ["state", a.state ?? UNKNOWN],
    ["country", a.country ?? UNKNOWN],
  ];
}

/** The raw address as JSON when it differs from the clean one, else null (nothing to keep). */
function rawIfChanged(raw: Address, clean: CleanAddress): string | null {
  const same =
    raw.city === clean.city &&
    (raw.state ?? null) === clean.state &&
    (raw.country ?? null) === clean.country &&
    (raw.postCode ?? null) === clean.postCode;
  return same ? null : JSON.stringify(raw);
}

/**
 * 3: ids as 16-byte blobs under a UNIQUE index of a rowid table (rows append; only the compact id
 * index takes random inserts), instead of a WITHOUT ROWID table keyed by the 36-character text.
 * 4: countries other than the US as ISO codes, their cities keyed "City (CC)" (same tables; the
 * rows of other countries are cleaned again and the counters rebuilt).
 */
const SCHEMA_VERSION = 4;

/** The 16 bytes of a UUID ("6f1c2f8e-9d3a-…" → Buffer). */
export function uuidBytes(id: string): Buffer {
  return Buffer.from(id.replace(/-/g, ""), "hex");
}

/** One optional address field in a cache key: its length, a colon and itself; "-" when missing. */
const field = (value: string | number | null | undefined): string => {
  if (value == null) return "-";
  // A number and its digits as text are one key: they are cleaned alike.
  const text = String(value);
  return `${text.length}:${text}`;
};

export class UserStatsStore implements EventSink<UserEvent>, CountsReader {
  readonly db: Db;
  private readonly countsTable: CountsTable;
  /** Where the consumer stands in each partition, saved with each batch. */
  readonly offsets: ConsumerOffsets;
  private readonly insert;
  private readonly moveEarlier;
  private readonly writeTx;
  private readonly windows: WindowCounts;
  /**
   * Increases with every write that stored something (report caches key on it). It starts from the
   * clock, in microseconds, so that it also keeps increasing across restarts: a gateway that cached
   * a report before userstats restarted must not take the new process's numbers for old ones.
   */
  version = Date.now() * 1000;

  constructor(
    readonly file: string,
    private readonly normalizer: Normalizer,
  ) {
    // Random ids touch pages all over the id index: a bigger cache and rarer checkpoints (each one
    // fsyncs) halved the insert cost in the benchmark (docs/BENCHMARKS.md).
    this.db = openDatabase(file, { cacheMiB: 8, walAutocheckpoint: 10_000 });
    // A file that cannot be set up (a failing migration, say) is not left open: a service retries
    // the open at start, and each attempt would keep another handle.
    try {
      // Facts about the file as a whole (how often its events were cleaned again).
      this.db.exec("CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value NOT NULL)");
      this.migrate();
      this.countsTable = new CountsTable(this.db);
      this.offsets = new ConsumerOffsets(
        this.db,
        this.db.prepare("SELECT 1 FROM user_events LIMIT 1").get() !== undefined,
      );
      this.insert = this.db.prepare(
        `INSERT INTO user_events (id, datetime, city, state, country, post_code, raw, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      );
      // A user counts in a time window at the earliest datetime received for them, whatever order
      // their events came in (a replayed older file moves them back; a newer one changes nothing).
      this.moveEarlier = this.db.prepare(
        "UPDATE user_events SET datetime = ? WHERE id = ? AND datetime > ?",
      );
      this.writeTx = this.db.transaction(
        (events: Iterable<UserEvent>, position?: ConsumerPosition): WriteResult => {
          const receivedAt = new Date().toISOString();
          const deltas = new CountDeltas();
          let seen = 0;
          let moved = 0;
          for (const e of events) {
            seen++;
            const clean = this.clean(e.address);
            const id = uuidBytes(e.id);
            const { changes } = this.insert.run(
              id,
              e.datetime,
              clean.city,
              clean.state,
              clean.country,
              clean.postCode,
              rawIfChanged(e.address, clean),
              receivedAt,
            );
            if (changes === 1) deltas.count(dimensionKeys(clean));
            else moved += this.moveEarlier.run(e.datetime, id, e.datetime).changes;
          }
          this.countsTable.add(deltas.byDim, deltas.total);
          if (position !== undefined) this.offsets.save(position);
          return { inserted: deltas.total, duplicates: seen - deltas.total, moved };
        },
      );
      this.windows = new WindowCounts(this.db);
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  /** Creates the schema, or brings a file of an older version up to date (keeping its rows). */
  private migrate(): void {
    const version = this.db.pragma("user_version", { simple: true }) as number;
    if (version === SCHEMA_VERSION) return;
    this.db.transaction(() => {
      const hadEvents =
        this.db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'user_events'").get() !==
        undefined;
      if (!hadEvents || version < 3) this.createEventsTable(hadEvents ? version : undefined);
      if (hadEvents) {
        new CountsTable(this.db);
        // Version 4: countries as codes and "City (CC)" keys; only rows of other countries change.
        this.reclean({ otherCountriesOnly: true });
      }
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
  }

  /** The events table; with the version of the file, the rows of its older table copied in. */
  private createEventsTable(copyFrom: number | undefined): void {
    if (copyFrom !== undefined) {
      this.db.exec(`ALTER TABLE user_events RENAME TO user_events_old;
        DROP INDEX IF EXISTS user_events_by_time;`);
    }
    this.db.exec(`
      CREATE TABLE user_events (
        id BLOB NOT NULL UNIQUE,
        datetime TEXT NOT NULL,
        city TEXT NOT NULL,
        state TEXT,
        country TEXT,
        post_code TEXT,
        raw TEXT,
        received_at TEXT NOT NULL
      );
      CREATE INDEX user_events_by_time ON user_events (datetime, city, state, country);`);
    if (copyFrom !== undefined) {
      // Version 1 (before cleaning existed) stored generated, already clean addresses, and no raw.
      const raw = copyFrom >= 2 ? "raw" : "NULL";
      this.db
        .exec(`INSERT INTO user_events (id, datetime, city, state, country, post_code, raw, received_at)
        SELECT unhex(replace(id, '-', '')), datetime, city, state, country, post_code, ${raw}, received_at
        FROM user_events_old;
        DROP TABLE user_events_old;`);
    }
  }

  /** Recomputes every counter from the stored events (after a migration or re-cleaning). */
  rebuildCounts(): void {
    this.db.exec(`
      DELETE FROM counts;
      INSERT INTO counts (dim, key, n)
        SELECT 'city', ${CITY_KEY_SQL} AS key, COUNT(*) FROM user_events GROUP BY key;
      INSERT INTO counts (dim, key, n)
        SELECT 'state', COALESCE(state, '${UNKNOWN}'), COUNT(*) FROM user_events GROUP BY state;
      INSERT INTO counts (dim, key, n)
        SELECT 'country', COALESCE(country, '${UNKNOWN}'), COUNT(*) FROM user_events GROUP BY country;
      INSERT INTO counts (dim, key, n) SELECT '*', '*', COUNT(*) FROM user_events;`);
  }

  /**
   * Re-runs the cleaning rules over every stored event (from its raw address when one was kept),
   * or over those of countries other than the US, and rebuilds the counters; returns how many rows
   * changed.
   */
  reclean(opts: { otherCountriesOnly?: boolean } = {}): number {
    type Row = {
      rowid: number;
      city: string;
      state: string | null;
      country: string | null;
      post_code: string | null;
      raw: string | null;
    };
    const page = this.db.prepare<[number, number]>(
      `SELECT rowid, city, state, country, post_code, raw FROM user_events WHERE rowid > ?
       ${opts.otherCountriesOnly === true ? "AND country IS NOT NULL AND country <> 'US'" : ""}
       ORDER BY rowid LIMIT ?`,
    );
    const update = this.db.prepare(
      "UPDATE user_events SET city = ?, state = ?, country = ?, post_code = ?, raw = ? WHERE rowid = ?",
    );
    let changed = 0;
    this.db.transaction(() => {
      // Keyset pages: bounded memory, and no statement left open while updating.
      for (let after = 0; ;) {
        const rows = page.all(after, 5000) as Row[];
        if (rows.length === 0) break;
        for (const r of rows) {
          const raw: Address =
            r.raw !== null
              ? (JSON.parse(r.raw) as Address)
              : { city: r.city, state: r.state, country: r.country, postCode: r.post_code };
          const clean = this.normalizer.address(raw);
          if (
            clean.city !== r.city ||
            clean.state !== r.state ||
            clean.country !== r.country ||
            clean.postCode !== r.post_code
          ) {
            update.run(
              clean.city,
              clean.state,
              clean.country,
              clean.postCode,
              rawIfChanged(raw, clean),
              r.rowid,
            );
            changed++;
          }
        }
        after = (rows[rows.length - 1] as Row).rowid;
      }
      this.rebuildCounts();
      if (changed > 0) {
        this.db.exec(`INSERT INTO store_meta (key, value) VALUES ('recleanings', 1)
          ON CONFLICT (key) DO UPDATE SET value = value + 1`);
      }
    })();
    if (changed > 0) this.version++;
    return changed;
  }

  /**
   * How many re-cleanings (a migration or `npm run reclean`) changed stored events in this file.
   * Reports made at different numbers may key the same city differently.
   */
  recleanings(): number {
    const row = this.db.prepare("SELECT value FROM store_meta WHERE key = 'recleanings'").get() as
      { value: number } | undefined;
    return row === undefined ? 0 : Number(row.value);
  }

  /** Addresses already cleaned, by their raw fields (real traffic repeats the same places). */
  private readonly cleaned = new Map<string, CleanAddress>();

  private clean(a: Address): CleanAddress {
    // Each field with its length in front (or "-" when missing): no two addresses share a key,
    // whatever characters they hold.
    const key = `${a.city.length}:${a.city}${field(a.state)}${field(a.country)}${field(a.postCode)}`;
    let clean = this.cleaned.get(key);
    if (clean === undefined) {
      clean = this.normalizer.address(a);
      if (this.cleaned.size >= 20_000) this.cleaned.clear();
      this.cleaned.set(key, clean);
    }
    return clean;
  }

  write(events: Iterable<UserEvent>, position?: ConsumerPosition): WriteResult {
    const result = this.writeTx(events, position);
    if (result.inserted > 0 || result.moved > 0) this.version++;
    return result;
  }

  total(window: CountsWindow = {}): number {
    if (!isWindowed(window)) return this.countsTable.total();
    return this.windows.total(window);
  }

  counts(dim: string, opts: CountsWindow & { top?: number } = {}): [string, number][] {
    if (!isWindowed(opts)) return this.countsTable.top(dim, opts.top);
    return this.windows.counts(dim, opts);
  }

  /** Throws unless the database answers. */
  ping(): void {
    pingDatabase(this.db);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
