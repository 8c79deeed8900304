import { describe, expect, it } from "vitest";
import {
  REPORT_CACHE_MAX_AGE_MS,
  REPORT_CACHE_MAX_ENTRIES,
  ReportCache,
  type ReportReply,
} from "../../lib/report-cache";

const json = (total: number) =>
  `{"timestamp":"2026-11-27T08:00:00.000Z","total":${total},"filters":{"by":"city"},"stats":{}}`;

/** A cache on a clock the test moves, and a userstats stand-in that records what it was asked. */
function setup() {
  let now = 1_000_000;
  const cache = new ReportCache(() => now);
  const asked: (number | undefined)[] = [];
  let answer: (have: number | undefined) => ReportReply = () => ({
    notModified: false,
    version: 1,
    freshForMs: 0,
    json: json(1),
  });
  const ask = (have: number | undefined): Promise<ReportReply> => {
    asked.push(have);
    return Promise.resolve(answer(have));
  };
  return {
    cache,
    asked,
    ask,
    tick: (ms: number) => (now += ms),
    answerWith: (f: typeof answer) => (answer = f),
  };
}

const totalOf = (tail: Buffer) => /"total":(\d+)/.exec(tail.toString())?.[1];

describe("ReportCache", () => {
  it("asks once, then serves the entry while no newer version is announced", async () => {
    const { cache, asked, ask, tick } = setup();
    const first = await cache.get("k", ask);
    tick(500);
    const second = await cache.get("k", ask);
    expect(second).toBe(first);
    expect(asked).toEqual([undefined]);
    expect(totalOf(first.tail)).toBe("1");
  });

  it("keeps at most REPORT_CACHE_MAX_ENTRIES queries: one more starts the cache afresh", async () => {
    const { cache, asked, ask } = setup();
    for (let i = 0; i < REPORT_CACHE_MAX_ENTRIES; i++) await cache.get(`q${i}`, ask);
    await cache.get("q0", ask);
    expect(asked).toHaveLength(REPORT_CACHE_MAX_ENTRIES); // all held
    await cache.get("one-more", ask);
    await cache.get("q0", ask);
    expect(asked).toHaveLength(REPORT_CACHE_MAX_ENTRIES + 2); // q0 was let go
    await cache.get("one-more", ask);
    expect(asked).toHaveLength(REPORT_CACHE_MAX_ENTRIES + 2);
  });

  it("asks again after at most a second, even with no announcement", async () => {
    const { cache, asked, ask, tick } = setup();
    await cache.get("k", ask);
    tick(REPORT_CACHE_MAX_AGE_MS);
    await cache.get("k", ask);
    expect(asked).toEqual([undefined, 1]);
  });

  it("asks with the version it holds once a newer one is announced, and keeps its bytes when told 'not modified'", async () => {
    const { cache, asked, ask, tick, answerWith } = setup();
    const first = await cache.get("k", ask);
    cache.noteVersion(5);
    answerWith(have => ({ notModified: true, version: have as number, freshForMs: 200 }));
    const second = await cache.get("k", ask);
    expect(second).toBe(first);
    expect(asked).toEqual([undefined, 1]);
    // userstats answers the same build for 200 ms: not asked again meanwhile...
    tick(199);
    await cache.get("k", ask);
    expect(asked).toHaveLength(2);
    // ...and asked once that time is over, now getting the new build.
    tick(1);
    answerWith(() => ({ notModified: false, version: 5, freshForMs: 250, json: json(7) }));
    const third = await cache.get("k", ask);
    expect(asked).toEqual([undefined, 1, 1]);
    expect(third.version).toBe(5);
    expect(totalOf(third.tail)).toBe("7");
    // Current again: served without asking, whatever freshForMs said.
    tick(900);
    expect(cache.current("k")).toBe(third);
  });

  it("sends one question for requests that arrive while it is being asked", async () => {
    const { cache, asked } = setup();
    let release: () => void = () => undefined;
    const gate = new Promise<void>(resolve => (release = resolve));
    const slowAsk = async (have: number | undefined): Promise<ReportReply> => {
      asked.push(have);
      await gate;
      return { notModified: false, version: 1, freshForMs: 0, json: json(3) };
    };
    const waiting = [cache.get("k", slowAsk), cache.get("k", slowAsk), cache.get("other", slowAsk)];
    release();
    const [a, b, other] = await Promise.all(waiting);
    expect(a).toBe(b);
    expect(other).not.toBe(a);
    expect(asked).toEqual([undefined, undefined]);
  });

  it("passes a failed question to every waiter and asks anew next time", async () => {
    const { cache, asked, ask } = setup();
    const failing = (have: number | undefined): Promise<ReportReply> => {
      asked.push(have);
      return Promise.reject(new Error("userstats is gone"));
    };
    const results = await Promise.allSettled([cache.get("k", failing), cache.get("k", failing)]);
    expect(results.map(r => r.status)).toEqual(["rejected", "rejected"]);
    expect(asked).toEqual([undefined]);
    await cache.get("k", ask);
    expect(asked).toEqual([undefined, undefined]);
  });

  it("rejects a 'not modified' for a version it does not hold", async () => {
    const { cache, ask, answerWith } = setup();
    await cache.get("k", ask);
    cache.noteVersion(9);
    answerWith(() => ({ notModified: true, version: 8, freshForMs: 0 }));
    await expect(cache.get("k", ask)).rejects.toThrow(/not modified.*version 8.*holds 1/);
  });

  it("rejects an answer that is not a report's JSON", async () => {
    const { cache, answerWith, ask } = setup();
    answerWith(() => ({ notModified: false, version: 1, freshForMs: 0, json: '{"total":1}' }));
    await expect(cache.get("k", ask)).rejects.toThrow(/must start with/);
  });
});
