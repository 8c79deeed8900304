/** Opening SQLite files the same way everywhere: WAL, NORMAL sync, a busy timeout. */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

export type Db = Database.Database;

export interface OpenOptions {
  /** Page cache in MiB (SQLite's default is 2). */
  cacheMiB?: number;
  /** WAL pages between automatic checkpoints (SQLite's default is 1000, 4 MiB). */
  walAutocheckpoint?: number;
}

/** Opens (creating its folder if needed) a SQLite file tuned for one writer and many readers. */
export function openDatabase(file: string, opts: OpenOptions = {}): Db {
  if (file !== ":memory:") fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  // NORMAL in WAL mode: a commit survives a process crash; only an OS crash may lose the last ones.
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  db.pragma("foreign_keys = ON");
  if (opts.cacheMiB !== undefined) db.pragma(`cache_size = ${-Math.round(opts.cacheMiB * 1024)}`);
  if (opts.walAutocheckpoint !== undefined)
    db.pragma(`wal_autocheckpoint = ${opts.walAutocheckpoint}`);
  return db;
}

/** Throws unless the database answers a trivial query. */
export function pingDatabase(db: Db): void {
  db.prepare("SELECT 1").get();
}
