/**
 * Submit jobs of userevents, persisted in SQLite so that a job answered with 202 survives a restart:
 * its seed and progress are stored, and event i of a job is always the same event.
 */
import { randomUUID } from "node:crypto";
import { setImmediate as turn } from "node:timers/promises";
import { openDatabase, pingDatabase, type Db } from "./sqlite";

export type JobState = "running" | "done" | "failed";

export interface Job {
  id: string;
  state: JobState;
  total: number;
  produced: number;
  createdAt: string;
  updatedAt: string;
  error?: string;
}

/** A job with its generator seed (kept inside the service). */
export interface StoredJob extends Job {
  seq: number;
  seed: string;
}

interface JobRow {
  id: string;
  seq: number;
  seed: string;
  state: JobState;
  total: number;
  produced: number;
  error: string | null;
  created_at: string;
  updated_at: string;
}

function fromRow(r: JobRow): StoredJob {
  const job: StoredJob = {
    id: r.id,
    seq: r.seq,
    seed: r.seed,
    state: r.state,
    total: r.total,
    produced: r.produced,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
  if (r.error !== null) job.error = r.error;
  return job;
}

/** The public view of a job (no seed). */
export function publicJob(job: StoredJob): Job {
  const { seq: _seq, seed: _seed, ...rest } = job;
  return rest;
}

/** Finished jobs deleted per statement when pruning. */
const PRUNE_BATCH = 1000;

export class JobStore {
  readonly db: Db;
  private readonly stmts;

  constructor(readonly file: string) {
    this.db = openDatabase(file);
    // A file that cannot be set up (a failing migration, say) is not left open: a service retries
    // the open at start, and each attempt would keep another handle.
    try {
      this.db.exec(`CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL UNIQUE,
        seed TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
        total INTEGER NOT NULL,
        produced INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state, updated_at);
      CREATE INDEX IF NOT EXISTS jobs_updated ON jobs (updated_at, seq);
      CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);`);
      this.stmts = {
        // Never given twice, even once pruning removed every job: with SEED set, the seed of a job
        // comes from its number, and a number given again would produce ids already counted.
        nextSeq: this.db.prepare(
          `INSERT INTO counters (name, value) VALUES ('job_seq', (SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs))
           ON CONFLICT (name) DO UPDATE SET value = value + 1
           RETURNING value AS seq`,
        ),
        insert: this.db.prepare(
          `INSERT INTO jobs (id, seq, seed, state, total, produced, created_at, updated_at)
           VALUES (@id, @seq, @seed, 'running', @total, 0, @now, @now)`,
        ),
        get: this.db.prepare("SELECT * FROM jobs WHERE id = ?"),
        running: this.db.prepare("SELECT * FROM jobs WHERE state = 'running' ORDER BY seq"),
        // Two index walks (jobs_state, jobs_updated) that stop after `limit` rows: the dashboard
        // asks every second, and the table holds a day of finished jobs.
        recentRunning: this.db.prepare(
          "SELECT * FROM jobs WHERE state = 'running' ORDER BY updated_at DESC, seq DESC LIMIT ?",
        ),
        recentFinished: this.db.prepare(
          "SELECT * FROM jobs WHERE state != 'running' ORDER BY updated_at DESC, seq DESC LIMIT ?",
        ),
        progress: this.db.prepare(
          // A failed job stays failed (a chunk acknowledged late does not bring it back).
          "UPDATE jobs SET produced = ?, state = ?, error = ?, updated_at = ? WHERE id = ? AND state != 'failed'",
        ),
        prune: this.db.prepare(
          `DELETE FROM jobs WHERE rowid IN
             (SELECT rowid FROM jobs WHERE updated_at < ? AND state != 'running' LIMIT ?)`,
        ),
      };
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  /**
   * Creates a running job; `seedFor(seq)` gives its generator seed from its sequence number. With an
   * id that exists already (a request delivered again), returns that job and creates nothing.
   */
  create(
    total: number,
    seedFor: (seq: number) => string,
    id: string = randomUUID(),
  ): StoredJob & { created: boolean } {
    // IMMEDIATE: the transaction takes the write lock before its first read. A deferred one that
    // read first could not write if another connection (the job thread) wrote meanwhile, and would
    // fail at once with "database is locked" instead of waiting for the busy timeout.
    return this.db
      .transaction(() => {
        const existing = this.stmts.get.get(id) as JobRow | undefined;
        if (existing !== undefined) return { ...fromRow(existing), created: false };
        const { seq } = this.stmts.nextSeq.get() as { seq: number };
        const now = new Date().toISOString();
        this.stmts.insert.run({ id, seq, seed: seedFor(seq), total, now });
        return { ...fromRow(this.stmts.get.get(id) as JobRow), created: true };
      })
      .immediate();
  }

  get(id: string): StoredJob | undefined {
    const row = this.stmts.get.get(id) as JobRow | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  /** Jobs not finished yet, oldest first (resumed at start-up). */
  running(): StoredJob[] {
    return (this.stmts.running.all() as JobRow[]).map(fromRow);
  }

  /** Running jobs first, then the most recently updated ones. */
  recent(limit: number): StoredJob[] {
    const running = this.stmts.recentRunning.all(limit) as JobRow[];
    const finished =
      running.length < limit
        ? (this.stmts.recentFinished.all(limit - running.length) as JobRow[])
        : [];
    return [...running, ...finished].map(fromRow);
  }

  /** Records progress and state; a job that failed is left as it is. */
  update(id: string, produced: number, state: JobState, error?: string): void {
    this.stmts.progress.run(produced, state, error ?? null, new Date().toISOString(), id);
  }

  /**
   * Deletes up to `limit` finished jobs last updated before the given time; returns how many. A
   * bounded batch holds the write lock briefly: the other thread's writes wait for no long delete.
   */
  prune(before: Date, limit = PRUNE_BATCH): number {
    return this.stmts.prune.run(before.toISOString(), limit).changes;
  }

  /**
   * Deletes every finished job last updated before the given time, in batches with a turn of the
   * event loop between them, until none is left or `stopped()`; returns how many.
   */
  async pruneAll(before: Date, stopped: () => boolean = () => false): Promise<number> {
    let total = 0;
    while (!stopped() && this.db.open) {
      const n = this.prune(before);
      total += n;
      if (n < PRUNE_BATCH) break;
      await turn();
    }
    return total;
  }

  ping(): void {
    pingDatabase(this.db);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
