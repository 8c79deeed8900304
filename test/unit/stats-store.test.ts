import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UserStatsStore } from "../../lib/stats-store";
import type { UserEvent } from "../../lib/user-event";
import { tempDir } from "../helpers/tmp";

let n = 0;
function event(city: string, state = "TX", id?: string): UserEvent {
  n++;
  return {
    id: id ?? `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
    address: { city, state, country: "US", postCode: "75001" },
    datetime: "2026-11-27T08:00:00+01:00",
  };
}

describe("UserStatsStore (real SQLite file)", () => {
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  let store: UserStatsStore;

  beforeEach(() => {
    tmp = tempDir();
    file = path.join(tmp.dir, "stats.sqlite");
    store = new UserStatsStore(file);
  });
  afterEach(() => {
    store.close();
    tmp.remove();
  });

  it("counts events per city, state and country, biggest first", () => {
    const result = store.write([
      event("Austin"),
      event("Dallas"),
      event("Austin"),
      event("Reno", "NV"),
    ]);
    expect(result).toEqual({ inserted: 4, duplicates: 0 });
    expect(store.total()).toBe(4);
    expect(store.counts("city")).toEqual([
      ["Austin", 2],
      ["Dallas", 1],
      ["Reno", 1],
    ]);
    expect(store.counts("state")).toEqual([
      ["TX", 3],
      ["NV", 1],
    ]);
    expect(store.counts("country")).toEqual([["US", 4]]);
    expect(store.counts("city", 1)).toEqual([["Austin", 2]]);
  });

  it("ignores an event id it already has, in the same batch or a later one", () => {
    const e = event("Austin");
    expect(store.write([e, e])).toEqual({ inserted: 1, duplicates: 1 });
    expect(store.write([e, event("Dallas")])).toEqual({ inserted: 1, duplicates: 1 });
    expect(store.total()).toBe(2);
    expect(store.counts("city")).toEqual([
      ["Austin", 1],
      ["Dallas", 1],
    ]);
  });

  it("stores the event time in UTC and keeps data across reopening", () => {
    const e = event("Austin");
    store.write([e]);
    const row = store.db
      .prepare("SELECT datetime, post_code FROM user_events WHERE id = ?")
      .get(e.id);
    expect(row).toEqual({ datetime: "2026-11-27T07:00:00.000Z", post_code: "75001" });
    store.close();
    store = new UserStatsStore(file);
    expect(store.total()).toBe(1);
    expect(store.db.pragma("journal_mode", { simple: true })).toBe("wal");
  });

  it("writes a batch all or nothing", () => {
    store.write([event("Austin")]);
    const bad = { ...event("Dallas"), address: null } as unknown as UserEvent;
    expect(() => store.write([event("Houston"), bad])).toThrow();
    expect(store.total()).toBe(1);
    expect(store.counts("city")).toEqual([["Austin", 1]]);
  });

  it("bumps its version only when something new was stored", () => {
    const e = event("Austin");
    store.write([e]);
    const v = store.version;
    store.write([e]);
    expect(store.version).toBe(v);
    store.write([event("Dallas")]);
    expect(store.version).toBe(v + 1);
  });
});
