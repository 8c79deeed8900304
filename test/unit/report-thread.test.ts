// The report thread on a real SQLite file: a worker with its own connection counts windows.
import path from "node:path";
import { afterEach, beforeAll, afterAll, describe, expect, it, vi } from "vitest";
import { createUserEventGenerator } from "../../lib/generator";
import { createNormalizer } from "../../lib/normalize";
import { usPlaces } from "../../lib/places";
import type { ReportFilters } from "../../lib/report";
import { ReportThread } from "../../lib/report-thread";
import { waitFor } from "../../lib/retry";
import { UserStatsStore } from "../../lib/stats-store";
import type { UserEvent } from "../../lib/user-event";
import { tempDir } from "../helpers/tmp";

const EVENTS = 20_000;
const START = Date.parse("2026-11-01T00:00:00.000Z");
/** A minute apart, from START on. */
const at = (i: number): string => new Date(START + i * 60_000).toISOString();

describe("ReportThread (real SQLite file, real worker thread)", () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: UserStatsStore;
  let thread: ReportThread | undefined;

  beforeAll(() => {
    tmp = tempDir();
    store = new UserStatsStore(path.join(tmp.dir, "stats.sqlite"), createNormalizer());
    const events: UserEvent[] = createUserEventGenerator(usPlaces(), { dirtyShare: 0.2 })
      .generate("report-thread", 0, EVENTS)
      .map((e, i) => ({ ...e, datetime: at(i) }));
    store.write(events);
  });
  afterAll(() => {
    store.close();
    tmp.remove();
  });
  afterEach(async () => {
    await thread?.stop();
    thread = undefined;
  });

  const windows: ReportFilters[] = [
    { by: "city", from: at(100), to: at(15_000) },
    { by: "city", from: at(0), to: at(EVENTS), top: 10 },
    { by: "state", from: at(5_000) },
    { by: "country", to: at(2_000) },
    { by: "city", from: "2030-01-01" },
  ];

  it("counts each window as the store does on its own connection", async () => {
    thread = new ReportThread(store.file);
    for (const filters of windows) {
      const answer = await thread.count(filters);
      expect(answer.total).toBe(store.total(filters));
      expect(answer.counts).toEqual(store.counts(filters.by, filters));
    }
    expect(answer0Sanity(await thread.count({ by: "city", from: at(0), to: at(EVENTS) }))).toBe(
      EVENTS,
    );
    expect(thread.starts).toBe(1);
  });

  it("answers while this thread keeps turning, and reads past a write transaction left open", async () => {
    thread = new ReportThread(store.file);
    const filters: ReportFilters = { by: "city", from: at(0), to: at(EVENTS) };
    // A timer due at once: a count on this thread would be answered before any timer ran.
    let timerRan = false;
    const timer = setTimeout(() => (timerRan = true), 0);
    const timerRanFirst = await thread.count(filters).then(a => {
      expect(a.total).toBe(EVENTS);
      return timerRan;
    });
    clearTimeout(timer);
    expect(timerRanFirst).toBe(true);

    // The consumer's transaction holds the write lock; the worker reads the last committed state.
    store.db.exec("BEGIN IMMEDIATE");
    try {
      store.db
        .prepare("UPDATE user_events SET datetime = ? WHERE rowid = 1")
        .run("2031-01-01T00:00:00.000Z");
      const answer = await thread.count(filters);
      expect(answer.total).toBe(EVENTS);
    } finally {
      store.db.exec("ROLLBACK");
    }
  });

  it("stops its worker when idle and starts one again for the next window", async () => {
    thread = new ReportThread(store.file, 50);
    const filters = windows[0] as ReportFilters;
    const first = await thread.count(filters);
    expect(thread.running).toBe(true);
    expect(thread.threads).toBe(1);
    // Not only out of use: the thread has exited.
    await waitFor(() => (thread as ReportThread).threads === 0, 5000, "the idle worker to exit");
    expect(thread.running).toBe(false);
    expect(await thread.count(filters)).toEqual(first);
    expect(thread.starts).toBe(2);
  });

  it("fails the windows a dying worker was counting, then counts with a new one", async () => {
    thread = new ReportThread(store.file);
    const filters = windows[0] as ReportFilters;
    const expected = await thread.count(filters);
    const lost = thread.count(filters);
    await thread.kill();
    await expect(lost).rejects.toThrow(/report thread exited/);
    expect(await thread.count(filters)).toEqual(expected);
    expect(thread.starts).toBe(2);
  });

  it("says why when the worker cannot open the file, instead of hanging", async () => {
    thread = new ReportThread(path.join(tmp.dir, "missing.sqlite"));
    await expect(thread.count(windows[0] as ReportFilters)).rejects.toThrow(
      /report thread exited \(code 1\) before it answered: .*open/,
    );
    expect(thread.threads).toBe(0);
  });

  it("waits, when stopped, for a worker that was closing after idle time", async () => {
    // Timers faked so that stop() comes exactly while the idle worker closes (its exit is a real
    // event and comes later).
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      thread = new ReportThread(store.file, 1000);
      await thread.count(windows[0] as ReportFilters);
      vi.advanceTimersByTime(1000);
      expect(thread.running).toBe(false);
      expect(thread.threads).toBe(1);
    } finally {
      vi.useRealTimers();
    }
    await thread.stop();
    expect(thread.threads).toBe(0);
  });

  it("lets a window being counted finish when stopped, then refuses new ones", async () => {
    thread = new ReportThread(store.file);
    const counting = thread.count(windows[0] as ReportFilters);
    await thread.stop();
    expect((await counting).total).toBe(store.total(windows[0] as ReportFilters));
    expect(thread.running).toBe(false);
    await expect(thread.count(windows[0] as ReportFilters)).rejects.toThrow(/stopped/);
  });
});

/** The window over every event holds every event. */
function answer0Sanity(answer: { total: number; counts: [string, number][] }): number {
  expect(answer.counts.reduce((s, [, n]) => s + n, 0)).toBe(answer.total);
  return answer.total;
}
