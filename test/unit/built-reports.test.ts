import { describe, expect, it } from "vitest";
import {
  BuiltReports,
  KEPT_DEFAULTS,
  KEPT_WINDOWS,
  REPORT_REBUILD_MS,
  type VersionedCounts,
} from "../../lib/built-reports";
import type { ReportFilters } from "../../lib/report";

/** Counts in memory: each `add` is a change of the store (its version grows). */
class FakeCounts implements VersionedCounts {
  version = 1;
  builds = 0;
  private readonly cities = new Map<string, number>();
  add(city: string): void {
    this.cities.set(city, (this.cities.get(city) ?? 0) + 1);
    this.version++;
  }
  total(): number {
    this.builds++;
    return [...this.cities.values()].reduce((a, b) => a + b, 0);
  }
  counts(_dim: string, opts?: { top?: number }): [string, number][] {
    const all = [...this.cities].sort((a, b) => b[1] - a[1]);
    return opts?.top === undefined ? all : all.slice(0, opts.top);
  }
}

function setup(): { store: FakeCounts; reports: BuiltReports; advance: (ms: number) => void } {
  let now = 1000;
  const store = new FakeCounts();
  store.add("Austin, TX");
  return { store, reports: new BuiltReports(store, () => now), advance: ms => (now += ms) };
}

const byCity: ReportFilters = { by: "city" };
const parse = (json: string | undefined): { total: number; stats: Record<string, number> } =>
  JSON.parse(json ?? "null") as { total: number; stats: Record<string, number> };

describe("BuiltReports", () => {
  it("builds a report once and answers it again while the store is unchanged", async () => {
    const { store, reports, advance } = setup();
    const first = await reports.get(byCity);
    advance(10 * REPORT_REBUILD_MS);
    const again = await reports.get(byCity);
    expect(store.builds).toBe(1);
    expect(parse(again.json)).toMatchObject({ total: 1, stats: { "Austin, TX": 1 } });
    expect(again.version).toBe(first.version);
    // Current, and past its reuse time: a change may rebuild it at once.
    expect(again.freshForMs).toBe(0);
  });

  it("rebuilds after a change only once its reuse time is over, and labels each answer with its build's version", async () => {
    const { store, reports, advance } = setup();
    const first = await reports.get(byCity);
    expect(first.freshForMs).toBe(REPORT_REBUILD_MS);
    store.add("Dallas, TX");
    advance(REPORT_REBUILD_MS - 1);
    const stale = await reports.get(byCity);
    expect(parse(stale.json).total).toBe(1);
    expect(stale.version).toBe(first.version);
    expect(stale.freshForMs).toBe(1);
    advance(1);
    const rebuilt = await reports.get(byCity);
    expect(parse(rebuilt.json).total).toBe(2);
    expect(rebuilt.version).toBe(store.version);
    expect(store.builds).toBe(2);
  });

  it("answers nothing but the version to a caller that holds the same build", async () => {
    const { store, reports } = setup();
    const first = await reports.get(byCity);
    expect(await reports.get(byCity, first.version)).toEqual({
      json: undefined,
      version: first.version,
      freshForMs: REPORT_REBUILD_MS,
    });
    expect((await reports.get(byCity, first.version - 1)).json).toBeDefined();
    expect(store.builds).toBe(1);
  });

  it("keeps one build per query, with the filters it applied in the answer", async () => {
    const { store, reports } = setup();
    store.add("Dallas, TX");
    store.add("Dallas, TX");
    const top1 = JSON.parse((await reports.get({ by: "city", top: 1 })).json ?? "") as {
      filters: ReportFilters;
      stats: Record<string, number>;
    };
    expect(top1).toMatchObject({ filters: { by: "city", top: 1 }, stats: { "Dallas, TX": 2 } });
    expect(Object.keys(top1.stats)).toHaveLength(1);
    expect(Object.keys(parse((await reports.get(byCity)).json).stats)).toHaveLength(2);
    expect(store.builds).toBe(2);
  });

  it("keeps at most a few windows' builds, and windows never push out the reports without one", async () => {
    const { store, reports } = setup();
    for (let top = 1; top <= KEPT_DEFAULTS; top++) await reports.get({ by: "city", top });
    const window = (day: number): ReportFilters => ({
      by: "city",
      from: `2026-01-${String(day).padStart(2, "0")}`,
    });
    for (let day = 1; day <= KEPT_WINDOWS + 3; day++) await reports.get(window(day));
    const builds = store.builds;
    // Every report without a window is still built…
    for (let top = 1; top <= KEPT_DEFAULTS; top++) await reports.get({ by: "city", top });
    expect(store.builds).toBe(builds);
    // …and of the windows, the last KEPT_WINDOWS; the oldest are built again.
    for (let day = 4; day <= KEPT_WINDOWS + 3; day++) await reports.get(window(day));
    expect(store.builds).toBe(builds);
    await reports.get(window(1));
    expect(store.builds).toBe(builds + 1);
  });

  describe("with windows counted elsewhere (the report thread)", () => {
    const window: ReportFilters = { by: "city", from: "2026-01-01", to: "2026-01-31" };
    /** A counter whose answers the test releases; it records what it was asked. */
    function elsewhere() {
      const asked: ReportFilters[] = [];
      const answers: ((a: { total: number; counts: [string, number][] }) => void)[] = [];
      const fails: ((err: Error) => void)[] = [];
      const count = (filters: ReportFilters) => {
        asked.push(filters);
        return new Promise<{ total: number; counts: [string, number][] }>((resolve, reject) => {
          answers.push(resolve);
          fails.push(reject);
        });
      };
      return { asked, answers, fails, count };
    }

    it("counts a window there, once for callers asking the same meanwhile, and keeps the build", async () => {
      let now = 1000;
      const store = new FakeCounts();
      store.add("Austin, TX");
      const counter = elsewhere();
      const reports = new BuiltReports(store, () => now, counter.count);
      const first = reports.get(window);
      const second = reports.get(window);
      // Asked before it was counted: both wait for the one count; the store was not read.
      await Promise.resolve();
      expect(counter.asked).toEqual([window]);
      const version = store.version;
      store.add("Dallas, TX"); // while it is counted
      counter.answers[0]?.({ total: 7, counts: [["Waco, TX", 7]] });
      const [a, b] = await Promise.all([first, second]);
      expect(parse(a.json)).toMatchObject({ total: 7, stats: { "Waco, TX": 7 }, filters: window });
      // The same build (each answer carries its own timestamp).
      const counts = (json: string | undefined) => ({ ...parse(json), timestamp: undefined });
      expect(counts(b.json)).toEqual(counts(a.json));
      // Labelled with the version from before the count: a gateway holding it asks again later.
      expect(a.version).toBe(version);
      expect(store.builds).toBe(0);
      // Within its reuse time it is answered from the build.
      now += 1;
      expect(counts((await reports.get(window)).json)).toEqual(counts(a.json));
      expect(counter.asked).toHaveLength(1);
      // Reports without a window are still read from the store.
      expect(parse((await reports.get(byCity)).json).total).toBe(2);
      expect(store.builds).toBe(1);
    });

    it("passes a failed count on, and counts again when asked again", async () => {
      const store = new FakeCounts();
      const counter = elsewhere();
      const reports = new BuiltReports(store, () => 1000, counter.count);
      const failed = reports.get(window);
      await Promise.resolve();
      counter.fails[0]?.(new Error("The report thread exited (code 1) before it answered."));
      await expect(failed).rejects.toThrow(/report thread exited/);
      const again = reports.get(window);
      await Promise.resolve();
      expect(counter.asked).toHaveLength(2);
      counter.answers[1]?.({ total: 0, counts: [] });
      expect(parse((await again).json)).toMatchObject({ total: 0, stats: {} });
    });
  });
});
