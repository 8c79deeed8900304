/** Opening SQLite files the same way everywhere: WAL, NORMAL sync, a busy timeout. */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

export type Db = Database.Database;

/** Opens (creating its folder if needed) a SQLite file tuned for one writer and many readers. */
export function openDatabase(file: string): Db {
  if (file !== ":memory:") fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  // NORMAL in WAL mode: a commit survives a process crash; only an OS crash may lose the last ones.
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  db.pragma("foreign_keys = ON");
  return db;
}

/** Throws unless the database answers a trivial query. */
export function pingDatabase(db: Db): void {
  db.prepare("SELECT 1").get();
}
