/**
 * Running counts per (dimension, key) kept beside an event table, so reports read a few thousand
 * counters instead of scanning every event. Any pipeline's store can keep one: users count by city,
 * state and country; orders might count by product. The dimension "*" key "*" holds the total.
 */
import type { Db } from "./sqlite";

export const TOTAL_DIMENSION = "*";

export class CountsTable {
  private readonly upsert;
  private readonly selectTop;
  private readonly selectAll;
  private readonly selectOne;

  constructor(
    db: Db,
    private readonly table = "counts",
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS ${table} (
      dim TEXT NOT NULL,
      key TEXT NOT NULL,
      n INTEGER NOT NULL,
      PRIMARY KEY (dim, key)
    ) WITHOUT ROWID`);
    this.upsert = db.prepare(
      `INSERT INTO ${table} (dim, key, n) VALUES (?, ?, ?) ON CONFLICT (dim, key) DO UPDATE SET n = n + excluded.n`,
    );
    this.selectTop = db.prepare(
      `SELECT key, n FROM ${table} WHERE dim = ? ORDER BY n DESC, key LIMIT ?`,
    );
    this.selectAll = db.prepare(`SELECT key, n FROM ${table} WHERE dim = ? ORDER BY n DESC, key`);
    this.selectOne = db.prepare(`SELECT n FROM ${table} WHERE dim = ? AND key = ?`);
  }

  /** Adds the deltas (dim → key → amount) and the total; call inside the writer's transaction. */
  add(deltas: ReadonlyMap<string, ReadonlyMap<string, number>>, total: number): void {
    for (const [dim, keys] of deltas) {
      for (const [key, n] of keys) this.upsert.run(dim, key, n);
    }
    if (total !== 0) this.upsert.run(TOTAL_DIMENSION, TOTAL_DIMENSION, total);
  }

  /** The keys of one dimension with their counts, biggest first (ties by key); all when top is undefined. */
  top(dim: string, top?: number): [string, number][] {
    const rows = (top === undefined ? this.selectAll.all(dim) : this.selectTop.all(dim, top)) as {
      key: string;
      n: number;
    }[];
    return rows.map(r => [r.key, r.n]);
  }

  /** The total number of counted events. */
  total(): number {
    const row = this.selectOne.get(TOTAL_DIMENSION, TOTAL_DIMENSION) as { n: number } | undefined;
    return row?.n ?? 0;
  }
}

/** Collects per-batch increments before they are written in one go. */
export class CountDeltas {
  readonly byDim = new Map<string, Map<string, number>>();
  total = 0;

  /** Counts one event under each (dimension, key) pair given. */
  count(pairs: readonly (readonly [string, string])[]): void {
    this.total++;
    for (const [dim, key] of pairs) {
      let keys = this.byDim.get(dim);
      if (keys === undefined) {
        keys = new Map();
        this.byDim.set(dim, keys);
      }
      keys.set(key, (keys.get(key) ?? 0) + 1);
    }
  }
}
