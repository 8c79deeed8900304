import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cityKey, createNormalizer } from "../../lib/normalize";
import { UserStatsStore, uuidBytes } from "../../lib/stats-store";
import type { Address, UserEvent } from "../../lib/user-event";
import { tempDir } from "../helpers/tmp";

const normalizer = createNormalizer();
let n = 0;
function event(
  address: Partial<Address> & { city: string },
  datetime = "2026-11-27T07:00:00.000Z",
  id?: string,
): UserEvent {
  n++;
  return {
    id: id ?? `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
    address: { state: "TX", country: "US", postCode: "78701", ...address },
    datetime,
  };
}

describe("UserStatsStore (real SQLite file)", () => {
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  let store: UserStatsStore;

  beforeEach(() => {
    tmp = tempDir();
    file = path.join(tmp.dir, "stats.sqlite");
    store = new UserStatsStore(file, normalizer);
  });
  afterEach(() => {
    store.close();
    tmp.remove();
  });

  it("counts clean addresses per city (City, ST), state and country, biggest first", () => {
    const result = store.write([
      event({ city: "Austin" }),
      event({ city: "dallas ", postCode: "75201" }),
      event({ city: "AUSTIN", state: "Texas" }),
      event({ city: "Reno", state: "nv", postCode: "89501" }),
    ]);
    expect(result).toEqual({ inserted: 4, duplicates: 0, moved: 0 });
    expect(store.total()).toBe(4);
    expect(store.counts("city")).toEqual([
      ["Austin, TX", 2],
      ["Dallas, TX", 1],
      ["Reno, NV", 1],
    ]);
    expect(store.counts("state")).toEqual([
      ["TX", 3],
      ["NV", 1],
    ]);
    expect(store.counts("country")).toEqual([["US", 4]]);
    expect(store.counts("city", { top: 1 })).toEqual([["Austin, TX", 2]]);
  });

  it("keeps the raw address only when cleaning changed it", () => {
    const clean = event({ city: "Austin" });
    const messy = event({ city: " austin", state: "US-TX", postCode: 78701 });
    store.write([clean, messy]);
    const raw = (id: string) =>
      (
        store.db.prepare("SELECT raw FROM user_events WHERE id = ?").get(uuidBytes(id)) as {
          raw: string | null;
        }
      ).raw;
    expect(raw(clean.id)).toBeNull();
    expect(JSON.parse(raw(messy.id) ?? "null")).toEqual(messy.address);
  });

  it("counts an unknown state as ??", () => {
    store.write([event({ city: "Springfield", state: null, postCode: null })]);
    expect(store.counts("city")).toEqual([["Springfield, ??", 1]]);
    expect(store.counts("state")).toEqual([["??", 1]]);
  });

  it("cleans two addresses apart whose fields differ only in where a NUL character falls", () => {
    // Joined with NUL, both were one key of the cleaned-address cache, and the second event was
    // counted under the first one's clean address.
    const a = event({ city: "Austin\u0000TX", state: "CA", postCode: null });
    const b = event({ city: "Austin", state: "TX\u0000CA", postCode: null });
    store.write([a, b]);
    const expected = [a, b].map(e => cityKey(normalizer.address(e.address)));
    expect(new Set(expected).size).toBe(2);
    expect(
      store
        .counts("city")
        .map(([key]) => key)
        .sort(),
    ).toEqual(expected.sort());
  });

  it("ignores an event id it already has, in the same batch or a later one", () => {
    const e = event({ city: "Austin" });
    expect(store.write([e, e])).toEqual({ inserted: 1, duplicates: 1, moved: 0 });
    expect(store.write([e, event({ city: "Dallas", postCode: "75201" })])).toEqual({
      inserted: 1,
      duplicates: 1,
      moved: 0,
    });
    expect(store.total()).toBe(2);
  });

  it("counts a user in a window at the earliest datetime received for them, in any order", () => {
    const id = "00000000-0000-4000-8000-00000000abcd";
    const late = event({ city: "Austin" }, "2026-11-20T00:00:00.000Z", id);
    const early = event({ city: "Austin" }, "2026-11-01T00:00:00.000Z", id);
    const before10th = { to: "2026-11-10T00:00:00.000Z" };
    expect(store.write([late])).toMatchObject({ inserted: 1, moved: 0 });
    expect(store.total(before10th)).toBe(0);
    const version = store.version;
    expect(store.write([early])).toEqual({ inserted: 0, duplicates: 1, moved: 1 });
    expect(store.version).toBeGreaterThan(version); // cached window reports are stale
    expect(store.total(before10th)).toBe(1);
    expect(store.counts("city", before10th)).toEqual([["Austin, TX", 1]]);
    // A later one changes nothing; the user is still counted once.
    expect(store.write([late])).toEqual({ inserted: 0, duplicates: 1, moved: 0 });
    expect(store.total(before10th)).toBe(1);
    expect(store.total()).toBe(1);
  });

  it("counts within a time window, inclusive at both ends", () => {
    store.write([
      event({ city: "Austin" }, "2026-11-01T00:00:00.000Z"),
      event({ city: "Austin" }, "2026-11-15T12:00:00.000Z"),
      event({ city: "Reno", state: "NV", postCode: "89501" }, "2026-11-30T23:59:59.999Z"),
    ]);
    const window = { from: "2026-11-01T00:00:00.000Z", to: "2026-11-15T12:00:00.000Z" };
    expect(store.total(window)).toBe(2);
    expect(store.counts("city", window)).toEqual([["Austin, TX", 2]]);
    expect(store.counts("state", { from: "2026-11-15T12:00:00.001Z" })).toEqual([["NV", 1]]);
    expect(store.counts("country", { to: "2026-10-31T23:59:59.999Z" })).toEqual([]);
    expect(store.counts("city", { ...window, top: 1 })).toEqual([["Austin, TX", 2]]);
  });

  it("counts the last instant there is in a window open at its end", () => {
    store.write([event({ city: "Austin" }, "9999-12-31T23:59:59.999Z")]);
    expect(store.total({ from: "2026-01-01T00:00:00.000Z" })).toBe(1);
    expect(store.counts("city", { from: "9999-01-01T00:00:00.000Z" })).toEqual([["Austin, TX", 1]]);
  });

  it("keeps data across reopening, in WAL mode", () => {
    store.write([event({ city: "Austin" })]);
    store.close();
    store = new UserStatsStore(file, normalizer);
    expect(store.total()).toBe(1);
    expect(store.db.pragma("journal_mode", { simple: true })).toBe("wal");
  });

  it("takes any iterable, and walks it once inside the transaction", () => {
    function* events(): Generator<UserEvent> {
      yield event({ city: "Austin" });
      yield event({ city: "Dallas", postCode: "75201" });
    }
    expect(store.write(events())).toEqual({ inserted: 2, duplicates: 0, moved: 0 });
    expect(store.total()).toBe(2);
  });

  it("moves its version forward with each write that stored something, also across reopening", () => {
    const first = store.version;
    const e = event({ city: "Austin" });
    store.write([e]);
    const afterWrite = store.version;
    expect(afterWrite).toBeGreaterThan(first);
    store.write([e]); // a duplicate only: nothing changed
    expect(store.version).toBe(afterWrite);
    for (let i = 0; i < 50; i++) store.write([event({ city: "Austin" })]);
    const beforeClose = store.version;
    store.close();
    // A restarted userstats: gateways compare its versions with those they cached before.
    store = new UserStatsStore(file, normalizer);
    expect(store.version).toBeGreaterThan(beforeClose);
  });

  it("writes a batch all or nothing", () => {
    store.write([event({ city: "Austin" })]);
    const bad = { ...event({ city: "Dallas" }), datetime: null } as unknown as UserEvent;
    expect(() => store.write([event({ city: "Houston" }), bad])).toThrow();
    expect(store.total()).toBe(1);
    expect(store.counts("city")).toEqual([["Austin, TX", 1]]);
  });

  it("re-cleans stored events with new rules and rebuilds the counts", () => {
    store.write([event({ city: "austin" }), event({ city: "AUSTIN " })]);
    const upper = {
      address: (raw: Parameters<typeof normalizer.address>[0]) => ({
        ...normalizer.address(raw),
        city: "AUSTIN CITY",
      }),
    };
    const other = new UserStatsStore(file, upper);
    expect(other.recleanings()).toBe(0);
    expect(other.reclean()).toBe(2);
    expect(other.counts("city")).toEqual([["AUSTIN CITY, TX", 2]]);
    // Counted in the file: reports from before it may key the same city differently.
    expect(other.recleanings()).toBe(1);
    // A re-cleaning that changes nothing is not counted.
    expect(other.reclean()).toBe(0);
    expect(other.recleanings()).toBe(1);
    other.close();
    store.close();
    store = new UserStatsStore(file, normalizer);
    expect(store.reclean()).toBe(2);
    expect(store.recleanings()).toBe(2);
  });

  it("migrates a file of the first schema, keeping its rows", () => {
    store.close();
    fs.rmSync(file);
    const old = new Database(file);
    old.exec(`CREATE TABLE user_events (id TEXT PRIMARY KEY, datetime TEXT NOT NULL, city TEXT NOT NULL, state TEXT NOT NULL,
      country TEXT NOT NULL, post_code TEXT NOT NULL, received_at TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE counts (dim TEXT NOT NULL, key TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (dim, key)) WITHOUT ROWID;
      INSERT INTO user_events VALUES ('0f8fad5b-d9cb-469f-a165-70867728950e', '2026-01-01T00:00:00.000Z', 'Austin', 'TX', 'US', '78701', 'x');
      INSERT INTO counts VALUES ('city', 'Austin', 1), ('*', '*', 1);`);
    old.close();
    store = new UserStatsStore(file, normalizer);
    expect(store.total()).toBe(1);
    expect(store.counts("city")).toEqual([["Austin, TX", 1]]);
    expect(store.db.pragma("user_version", { simple: true })).toBe(4);
    expect(
      store.write([event({ city: "Austin" }, undefined, "0f8fad5b-d9cb-469f-a165-70867728950e")]),
    ).toEqual({
      inserted: 0,
      duplicates: 1,
      moved: 0,
    });
  });

  it("migrates a file of the second schema (text ids), keeping rows and raw addresses", () => {
    store.close();
    fs.rmSync(file);
    const old = new Database(file);
    old.exec(`CREATE TABLE user_events (id TEXT PRIMARY KEY, datetime TEXT NOT NULL, city TEXT NOT NULL, state TEXT,
      country TEXT, post_code TEXT, raw TEXT, received_at TEXT NOT NULL) WITHOUT ROWID;
      CREATE INDEX user_events_by_time ON user_events (datetime, city, state, country);
      INSERT INTO user_events VALUES ('0f8fad5b-d9cb-469f-a165-70867728950e', '2026-01-01T00:00:00.000Z', 'Austin', 'TX', 'US',
        '78701', '{"city":"austin"}', 'x');
      PRAGMA user_version = 2;`);
    old.close();
    store = new UserStatsStore(file, normalizer);
    expect(store.counts("city")).toEqual([["Austin, TX", 1]]);
    const row = store.db
      .prepare("SELECT raw FROM user_events WHERE id = ?")
      .get(uuidBytes("0f8fad5b-d9cb-469f-a165-70867728950e"));
    expect(row).toEqual({ raw: '{"city":"austin"}' });
  });

  it("closes a file it cannot migrate, so that retries at start keep no handle open", () => {
    store.close();
    fs.rmSync(file);
    // The second schema's table without the columns its migration copies.
    const old = new Database(file);
    old.exec(`CREATE TABLE user_events (id TEXT PRIMARY KEY, city TEXT NOT NULL);
      INSERT INTO user_events VALUES ('0f8fad5b-d9cb-469f-a165-70867728950e', 'Austin');
      PRAGMA user_version = 2;`);
    old.close();
    const handles = () =>
      fs.readdirSync("/proc/self/fd").filter(fd => {
        try {
          return fs.readlinkSync(`/proc/self/fd/${fd}`) === file;
        } catch {
          return false; // closed meanwhile (readdir's own descriptor)
        }
      }).length;
    for (let attempt = 0; attempt < 3; attempt++)
      expect(() => new UserStatsStore(file, normalizer)).toThrow();
    expect(handles()).toBe(0);
    fs.rmSync(file);
    store = new UserStatsStore(file, normalizer);
  });

  it("migrates a file of the third schema: other countries as codes, their cities keyed City (CC)", () => {
    const paris = (id: string, country: string) =>
      event({ city: "Paris", state: null, country, postCode: "75001" }, undefined, id);
    store.write([
      paris("00000000-0000-4000-8000-0000000000f1", "France"),
      event({ city: "Paris", state: "TX", postCode: "75460" }),
    ]);
    // As version 3 stored it: the country as written, capitalised.
    store.db.exec(`UPDATE user_events SET country = 'France', raw = NULL WHERE country = 'FR';
      PRAGMA user_version = 3;`);
    store.close();
    store = new UserStatsStore(file, normalizer);
    expect(store.db.pragma("user_version", { simple: true })).toBe(4);
    // The re-keyed cities make earlier reports' per-city counts incomparable (outbox).
    expect(store.recleanings()).toBe(1);
    expect(store.counts("country")).toEqual([
      ["FR", 1],
      ["US", 1],
    ]);
    expect(store.counts("city")).toEqual([
      ["Paris (FR)", 1],
      ["Paris, TX", 1],
    ]);
    store.write([paris("00000000-0000-4000-8000-0000000000f2", "fra")]);
    expect(store.counts("city", { from: "2000-01-01" })).toEqual([
      ["Paris (FR)", 2],
      ["Paris, TX", 1],
    ]);
    expect(store.counts("city")).toEqual([
      ["Paris (FR)", 2],
      ["Paris, TX", 1],
    ]);
  });

  it("keeps the consumer's position in the batch's transaction, and only when the batch is stored", () => {
    expect(store.offsets.tracksOffsets).toBe(true);
    store.write([event({ city: "Austin" })], { topic: "t", partition: 0, nextOffset: 10 });
    store.write([event({ city: "Austin" })], { topic: "t", partition: 1, nextOffset: 4 });
    store.write([event({ city: "Austin" })], { topic: "t", partition: 0, nextOffset: 25 });
    // A batch that fails part-way stores neither its events nor its position.
    function* failing(): Generator<UserEvent> {
      yield event({ city: "Dallas" });
      throw new Error("decoder broke");
    }
    expect(() => store.write(failing(), { topic: "t", partition: 0, nextOffset: 99 })).toThrow();
    expect(store.total()).toBe(3);
    store.close();
    store = new UserStatsStore(file, normalizer);
    expect(store.offsets.storedOffsets("t")).toEqual(
      new Map([
        [0, 25],
        [1, 4],
      ]),
    );
    expect(store.offsets.storedOffsets("other")).toEqual(new Map());
  });

  it("tells a file from before positions were kept, which then adopts the group's", () => {
    store.write([event({ city: "Austin" })]);
    store.close();
    const raw = new Database(file);
    raw.exec("DROP TABLE consumer_offsets");
    raw.close();
    store = new UserStatsStore(file, normalizer);
    expect(store.offsets.tracksOffsets).toBe(false);
    store.offsets.adoptOffsets("t", new Map([[0, 7]]));
    store.close();
    store = new UserStatsStore(file, normalizer);
    expect(store.offsets.tracksOffsets).toBe(true);
    expect(store.offsets.storedOffsets("t")).toEqual(new Map([[0, 7]]));
  });
});
