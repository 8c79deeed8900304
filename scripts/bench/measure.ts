/** Latency and throughput measurements over HTTP, for the benchmark. */
import http from "node:http";
import autocannon from "autocannon";

export interface Latency {
  count: number;
  p50: number;
  p99: number;
  mean: number;
}

/** Percentile p (0–100) of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

/** Summary of latencies in milliseconds. */
export function summarize(ms: number[]): Latency {
  const sorted = [...ms].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean: sorted.reduce((s, x) => s + x, 0) / Math.max(1, sorted.length),
  };
}

/** One GET over a kept-alive connection; resolves with the status and the time it took (ms). */
function get(agent: http.Agent, url: URL): Promise<{ status: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.get(url, { agent }, res => {
      res.resume();
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        }),
      );
    });
    req.on("error", reject);
  });
}

/**
 * Latencies (ms) of `count` sequential GETs (one in flight), after `warmup` unmeasured ones. `url`
 * may depend on the request's index (to defeat a cache, say).
 */
async function latencySamples(
  url: string | ((i: number) => string),
  count: number,
  warmup: number,
  expectStatus?: number,
): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const target = (i: number): URL => new URL(typeof url === "string" ? url : url(i));
  try {
    for (let i = 0; i < warmup; i++) await get(agent, target(i));
    const ms: number[] = [];
    for (let i = 0; i < count; i++) {
      const u = target(warmup + i);
      const r = await get(agent, u);
      if (expectStatus !== undefined && r.status !== expectStatus)
        throw new Error(`GET ${u.href} answered ${r.status}`);
      ms.push(r.ms);
    }
    return ms;
  } finally {
    agent.destroy();
  }
}

/** Latency of `count` sequential GETs (one in flight), after `warmup` unmeasured ones. */
export async function sequentialLatency(
  url: string | ((i: number) => string),
  count: number,
  warmup = 100,
  expectStatus?: number,
): Promise<Latency> {
  return summarize(await latencySamples(url, count, warmup, expectStatus));
}

/**
 * Latency of sequential GETs (one in flight, `gapMs` apart): one, then more for as long as `going()`,
 * asked after each, says so.
 */
export async function latencyWhile(
  url: string,
  going: () => Promise<boolean>,
  gapMs: number,
  expectStatus?: number,
): Promise<Latency> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(url);
  const ms: number[] = [];
  try {
    do {
      const r = await get(agent, target);
      if (expectStatus !== undefined && r.status !== expectStatus)
        throw new Error(`GET ${url} answered ${r.status}`);
      ms.push(r.ms);
      await new Promise(resolve => setTimeout(resolve, gapMs));
    } while (await going());
    return summarize(ms);
  } finally {
    agent.destroy();
  }
}

/**
 * Latencies of two URLs measured in alternating blocks (a b, b a, a b, …), `count` requests each in
 * all: both see the same machine, whatever else settles or wakes up meanwhile, instead of one
 * measured after the other.
 */
export async function interleavedLatency(
  a: string,
  b: string,
  count: number,
  rounds = 8,
  warmup = 50,
  expectStatus?: number,
): Promise<[Latency, Latency]> {
  const ms: [number[], number[]] = [[], []];
  const block = Math.ceil(count / rounds);
  for (let r = 0; r < rounds; r++) {
    const order: (0 | 1)[] = r % 2 === 0 ? [0, 1] : [1, 0];
    for (const which of order) {
      const n = Math.min(block, count - ms[which].length);
      const samples = await latencySamples(which === 0 ? a : b, n, warmup, expectStatus);
      ms[which].push(...samples);
    }
  }
  return [summarize(ms[0]), summarize(ms[1])];
}

export interface Throughput {
  requestsPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** Requests/s with `connections` in flight for `seconds` (autocannon). */
export async function throughput(
  url: string,
  connections: number,
  seconds: number,
): Promise<Throughput> {
  const result = await autocannon({ url, connections, duration: seconds, pipelining: 1 });
  return {
    requestsPerSec: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}
