/**
 * npm run bench [-- --quick]
 *
 * Measures the system against its targets, each figure beside a baseline measured in the same run,
 * and writes docs/BENCHMARKS.md. Starts what it needs (Kafka if not running; the three services as
 * processes, isolated from `make up`) and stops what it started. Bounded: every wait has a deadline.
 */
import { fork } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import Database from "better-sqlite3";
import { loadConfig } from "../lib/config";
import { createUserEventGenerator } from "../lib/generator";
import { projectRoot } from "../lib/paths";
import { usPlaces } from "../lib/places";
import { userEventCodec } from "../lib/user-event";
import { kafkaBaseline } from "./bench/kafka-baseline";
import {
  interleavedLatency,
  latencyWhile,
  sequentialLatency,
  throughput,
  type Latency,
  type Throughput,
} from "./bench/measure";
import {
  cpuSeconds,
  ensureBrokers,
  findProcess,
  freePort,
  SERVICES,
  startBenchSystem,
  stopStartedKafka,
  type BenchSystem,
  type ServiceName,
} from "./bench/system";

const quick = process.argv.includes("--quick");
const root = projectRoot();

const PLAN = quick
  ? {
      ingest: 20_000,
      memSmall: 10_000,
      memLarge: 200_000,
      latencyRequests: 500,
      loadSeconds: 5,
      reportRequests: 300,
    }
  : {
      ingest: 100_000,
      memSmall: 10_000,
      memLarge: 1_000_000,
      latencyRequests: 3000,
      loadSeconds: 10,
      reportRequests: 2000,
    };

const log = (message: string): void =>
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
  return (await res.json()) as T;
}

/** Polls until the report counts `total` users; returns the seconds it took from `since`. */
async function waitForTotal(
  sys: BenchSystem,
  total: number,
  since: bigint,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await getJson<{ total: number }>(`${sys.baseUrl}/report?top=1`);
    if (r.total >= total) return Number(process.hrtime.bigint() - since) / 1e9;
    if (Date.now() > deadline)
      throw new Error(`only ${r.total} of ${total} users counted after ${timeoutMs} ms`);
    await delay(20);
  }
}

/** Submits n users (in jobs of at most SUBMIT_MAX) and waits until the report counts `expectTotal`. */
async function submitAndWait(
  sys: BenchSystem,
  n: number,
  expectTotal: number,
  timeoutMs: number,
): Promise<number> {
  const started = process.hrtime.bigint();
  const res = await fetch(`${sys.baseUrl}/submit/${n}`);
  if (res.status !== 202)
    throw new Error(`/submit/${n} answered ${res.status}: ${await res.text()}`);
  return waitForTotal(sys, expectTotal, started, timeoutMs);
}

/** Starts the bare node:http baseline server in a child process. */
function startHttpBaseline(bodyFile?: string): Promise<{ url: string; stop: () => void }> {
  return startBaselineServer("http-baseline.js", bodyFile ? [bodyFile] : []);
}

/** Starts a baseline server (a script of scripts/bench taking the port first) in a child process. */
async function startBaselineServer(
  script: string,
  args: string[],
): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const child = fork(path.join(__dirname, "bench", script), [String(port), ...args], {
    stdio: "ignore",
  });
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", code => reject(new Error(`baseline server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}/`, stop: () => child.kill() };
}

/** Ingest runs per measure: the median is the figure, the others show the spread. */
const INGEST_RUNS = 3;

interface Runs {
  /** Median of the runs. */
  eventsPerSec: number;
  all: number[];
}

function runs(perSec: number[]): Runs {
  const sorted = [...perSec].sort((a, b) => a - b);
  return { eventsPerSec: sorted[Math.floor(sorted.length / 2)] as number, all: perSec };
}

interface Results {
  ingest: Runs & { n: number };
  ingestBaseline: Runs;
  submitLatency: Latency;
  submitLatencyBaseline: Latency;
  /** /submit/1 while a job of jobSize users produces. */
  submitLatencyDuringJob: Latency & { jobSize: number };
  submitLoad: Throughput;
  /** CPU time per /submit/1 answered during the load, by process, in microseconds. */
  submitCpu: Record<string, number>;
  jobLoad: Throughput;
  gatewayLoad: Throughput;
  submitLoadBaseline: Throughput;
  frameworkLoadBaseline: Throughput;
  reportStored: number;
  reportLatency: Latency;
  reportLatencyBaseline: Latency;
  reportBytes: number;
  top100Latency: Latency;
  top100LatencyBaseline: Latency;
  windowedReportLatency: Latency;
  /** Ingest of `ingest.n` users while two clients ask windows without pause, and alone, alternating. */
  ingestWithWindows: Runs & { windows: number };
  ingestWithoutWindows: Runs;
  rss: {
    idle: Record<ServiceName, number>;
    small: Record<ServiceName, number>;
    large: Record<ServiceName, number>;
    settled: Record<ServiceName, number>;
  };
}

async function main(): Promise<void> {
  log(`plan: ${JSON.stringify(PLAN)}${quick ? " (quick)" : ""}`);
  const { kafkaBrokers, startedKafka } = await ensureBrokers();

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pipeline-bench-files-"));
  let sys: BenchSystem | undefined;
  let bare: { url: string; stop: () => void } | undefined;
  try {
    // Baselines first, on an idle machine, with the same events and the same broker.
    log(`baseline: bare kafkajs producer → consumer, ${PLAN.ingest} events`);
    const events = createUserEventGenerator(usPlaces(), { dirtyShare: 0.1 }).generate(
      "bench",
      0,
      PLAN.ingest,
    );
    const messages = events.map(e => ({
      key: userEventCodec.key(e),
      value: userEventCodec.encode(e),
    }));
    // Three runs each (this machine's speed varies from run to run): the median is reported.
    const baselineRuns: number[] = [];
    for (let k = 0; k < INGEST_RUNS; k++) {
      const b = await kafkaBaseline({
        brokers: kafkaBrokers,
        messages,
        partitions: 3,
        batch: 5000,
      });
      baselineRuns.push(b.eventsPerSec);
    }

    log("baseline: bare node:http answering 202");
    bare = await startHttpBaseline();
    const submitLoadBaseline = await throughput(bare.url, 50, PLAN.loadSeconds);
    // Kept running: its latency is measured interleaved with the gateway's, below.
    log("baseline: bare moleculer-web, one action of its own broker, answering 202");
    const framework = await startBaselineServer("moleculer-web-baseline.js", []);
    let frameworkLoadBaseline: Throughput;
    try {
      frameworkLoadBaseline = await throughput(framework.url, 50, PLAN.loadSeconds);
    } finally {
      framework.stop();
    }

    log("starting the services");
    sys = await startBenchSystem();
    await delay(1000);
    const rssIdle = sys.rss();

    log(`memory at ${PLAN.memSmall} users`);
    await submitAndWait(sys, PLAN.memSmall, PLAN.memSmall, 120_000);
    const rssSmall = sys.rss();

    log(
      `ingest: ${INGEST_RUNS} × /submit/${PLAN.ingest} until the last event is counted in SQLite`,
    );
    const ingestRuns: number[] = [];
    for (let k = 0; k < INGEST_RUNS; k++) {
      const seconds = await submitAndWait(
        sys,
        PLAN.ingest,
        PLAN.memSmall + PLAN.ingest * (k + 1),
        300_000,
      );
      ingestRuns.push(PLAN.ingest / seconds);
    }

    log(
      `submit latency: ${PLAN.latencyRequests} × /submit/1, one in flight, interleaved with bare node:http`,
    );
    const [submitLatency, submitLatencyBaseline] = await interleavedLatency(
      `${sys.baseUrl}/submit/1`,
      bare.url,
      PLAN.latencyRequests,
      8,
      50,
      202,
    );
    bare.stop();
    bare = undefined;
    log(`submit load: 50 in flight for ${PLAN.loadSeconds} s`);
    const cpuBefore = cpuSnapshot(sys);
    const submitLoad = await throughput(`${sys.baseUrl}/submit/1`, 50, PLAN.loadSeconds);
    const submitCpu = cpuPerRequest(cpuBefore, cpuSnapshot(sys), submitLoad);
    const lastJob = await getJson<{ jobId: string }>(`${sys.baseUrl}/submit/1`);
    log(`one RPC without a write: /jobs/:id, 50 in flight for ${PLAN.loadSeconds} s`);
    const jobLoad = await throughput(`${sys.baseUrl}/jobs/${lastJob.jobId}`, 50, PLAN.loadSeconds);

    // Let the consumer catch up with the load, then fill the store up to memLarge users.
    const { total: now } = await waitForStable(sys);
    // The gateway alone: an action of its own that answers from its cache, no RPC.
    log(`gateway alone: /report?top=1 (in-process), 50 in flight for ${PLAN.loadSeconds} s`);
    const gatewayLoad = await throughput(`${sys.baseUrl}/report?top=1`, 50, PLAN.loadSeconds);
    // The fill is one large job: /submit/1 is measured while it produces, one request every 20 ms
    // (each adds a user: the fill waits for those too).
    const fill = Math.max(1, PLAN.memLarge - now);
    log(`filling the store from ${now} with /submit/${fill}; /submit/1 latency while it produces`);
    const fillStarted = process.hrtime.bigint();
    const gateway = sys.baseUrl;
    const fillJob = await getJson<{ jobId: string }>(`${gateway}/submit/${fill}`);
    const submitLatencyDuringJob = await latencyWhile(
      `${gateway}/submit/1`,
      async () =>
        (await getJson<{ state: string }>(`${gateway}/jobs/${fillJob.jobId}`)).state === "running",
      20,
      202,
    );
    await waitForTotal(sys, now + fill + submitLatencyDuringJob.count, fillStarted, 900_000);
    const rssLarge = sys.rss();
    const reportStored = (await getJson<{ total: number }>(`${sys.baseUrl}/report?top=1`)).total;

    log(`report latency at ${reportStored} stored users, interleaved with bare node:http`);
    // Baselines: a bare node:http server answering the very bytes the gateway answered, measured
    // in blocks alternating with the gateway's (the same machine state for both).
    const { baseUrl } = sys;
    const pairedWithBare = async (urlPath: string, name: string) => {
      const file = path.join(tmp, name);
      fs.writeFileSync(file, await (await fetch(`${baseUrl}${urlPath}`)).text());
      const bareServer = await startHttpBaseline(file);
      try {
        return await interleavedLatency(
          `${baseUrl}${urlPath}`,
          bareServer.url,
          PLAN.reportRequests,
          8,
          50,
          200,
        );
      } finally {
        bareServer.stop();
      }
    };
    const [reportLatency, reportLatencyBaseline] = await pairedWithBare("/report", "report.json");
    const [top100Latency, top100LatencyBaseline] = await pairedWithBare(
      "/report?top=100",
      "report-top100.json",
    );
    // A different window each time: the caches of the gateway and of userstats never answer.
    const windowedReportLatency = await sequentialLatency(
      i =>
        `${baseUrl}/report?top=10&from=2000-01-01&to=${new Date(Date.UTC(2100, 0, 1) + i * 1000).toISOString()}`,
      Math.max(20, Math.floor(PLAN.reportRequests / 50)),
      3,
      200,
    );
    const reportBytes = fs.statSync(path.join(tmp, "report.json")).size;
    // The sample above follows a sustained ingest; this one the report measurements, with no ingest
    // for a while: what the services keep once the work is done, with the same data stored.
    const rssSettled = sys.rss();

    log(
      `ingest while windows are asked: /submit/${PLAN.ingest}, alone and with 2 clients asking windows, alternating`,
    );
    const { withWindows: ingestWithWindows, without: ingestWithoutWindows } =
      await ingestWhileWindows(sys, PLAN.ingest);

    const results: Results = {
      ingest: { ...runs(ingestRuns), n: PLAN.ingest },
      ingestBaseline: runs(baselineRuns),
      submitLatency,
      submitLatencyBaseline,
      submitLatencyDuringJob: { ...submitLatencyDuringJob, jobSize: fill },
      submitLoad,
      submitCpu,
      jobLoad,
      gatewayLoad,
      submitLoadBaseline,
      frameworkLoadBaseline,
      reportStored,
      reportLatency,
      reportLatencyBaseline,
      reportBytes,
      top100Latency,
      top100LatencyBaseline,
      windowedReportLatency,
      ingestWithWindows,
      ingestWithoutWindows,
      rss: { idle: rssIdle, small: rssSmall, large: rssLarge, settled: rssSettled },
    };
    report(results);
  } finally {
    bare?.stop();
    await sys?.stop().catch(err => log(`stopping the services failed: ${String(err)}`));
    if (startedKafka) await stopStartedKafka(kafkaBrokers).catch(() => undefined);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** CPU seconds used so far by each process of the system, the brokers and this load generator. */
function cpuSnapshot(sys: BenchSystem): Record<string, number> {
  const pids: Record<string, number | undefined> = {
    ...sys.pids(),
    kafka: findProcess("kafka.Kafka"),
    rabbitmq: findProcess("beam.smp", "rabbit"),
  };
  const snapshot: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) {
    if (pid !== undefined) snapshot[name] = cpuSeconds(pid);
  }
  const own = process.cpuUsage();
  snapshot["load generator"] = (own.user + own.system) / 1e6;
  return snapshot;
}

/** CPU microseconds per answered request between two snapshots, by process, biggest first. */
function cpuPerRequest(
  before: Record<string, number>,
  after: Record<string, number>,
  load: Throughput,
): Record<string, number> {
  const answered = load.requestsPerSec * PLAN.loadSeconds;
  const perRequest = Object.keys(after)
    .filter(name => before[name] !== undefined)
    .map(name => [name, (((after[name] as number) - (before[name] as number)) / answered) * 1e6])
    .sort((a, b) => (b[1] as number) - (a[1] as number));
  return Object.fromEntries(perRequest) as Record<string, number>;
}

/** Waits until the total stops changing for a second (the consumer caught up). */
/**
 * Ingests `n` users INGEST_RUNS times alone and as often while two clients ask reports over a
 * different window of every stored event each time (no cache answers), alternating; events/s.
 */
async function ingestWhileWindows(
  sys: BenchSystem,
  n: number,
): Promise<{ withWindows: Runs & { windows: number }; without: Runs }> {
  let stored = (await getJson<{ total: number }>(`${sys.baseUrl}/report?top=1`)).total;
  const alone: number[] = [];
  const withWindows: number[] = [];
  let windows = 0;
  let window = 0;
  for (let round = 0; round < INGEST_RUNS; round++) {
    for (const ask of [false, true]) {
      let stop = false;
      const clients = ask
        ? [0, 1].map(async () => {
            while (!stop) {
              const to = new Date(Date.UTC(2101, 0, 1) + window++ * 1000).toISOString();
              const res = await fetch(`${sys.baseUrl}/report?top=10&from=2000-01-01&to=${to}`);
              await res.arrayBuffer();
              if (res.ok) windows++;
            }
          })
        : [];
      try {
        const secs = await submitAndWait(sys, n, stored + n, 600_000);
        (ask ? withWindows : alone).push(n / secs);
      } finally {
        stop = true;
        await Promise.all(clients);
      }
      stored += n;
    }
  }
  return { withWindows: { ...runs(withWindows), windows }, without: runs(alone) };
}

async function waitForStable(sys: BenchSystem): Promise<{ total: number }> {
  let last = -1;
  for (let i = 0; i < 600; i++) {
    const { total } = await getJson<{ total: number }>(`${sys.baseUrl}/report?top=1`);
    if (total === last) return { total };
    last = total;
    await delay(1000);
  }
  throw new Error("the report total kept changing for 10 minutes");
}

const f0 = (n: number): string => Math.round(n).toLocaleString("en-US");
const spread = (r: Runs): string => r.all.map(f0).join(", ");
const f2 = (n: number): string => n.toFixed(2);
const verdict = (ok: boolean): string => (ok ? "met" : "**missed**");

function versions(): Record<string, string> {
  // Read from the files: some packages do not export their package.json.
  const pkg = (name: string): string =>
    (
      JSON.parse(
        fs.readFileSync(path.join(root, "node_modules", name, "package.json"), "utf8"),
      ) as { version: string }
    ).version;
  return {
    node: process.version,
    kafka: process.env.KAFKA_VERSION ?? "3.9.1",
    kafkajs: pkg("kafkajs"),
    moleculer: pkg("moleculer"),
    "moleculer-web": pkg("moleculer-web"),
    amqplib: pkg("amqplib"),
    "better-sqlite3": pkg("better-sqlite3"),
    sqlite: (
      new Database(":memory:").prepare("SELECT sqlite_version() AS v").get() as { v: string }
    ).v,
  };
}

function report(r: Results): void {
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  const maxRss = (m: Record<ServiceName, number>): number => Math.max(...Object.values(m));
  const flat = SERVICES.every(
    s => r.rss.large[s] - r.rss.small[s] <= Math.max(25, 0.25 * r.rss.small[s]),
  );
  const rows: string[][] = [
    [
      "Ingest, /submit/" + f0(r.ingest.n) + " until counted",
      `${f0(r.ingest.eventsPerSec)} events/s (runs ${spread(r.ingest)})`,
      `${f0(r.ingestBaseline.eventsPerSec)} events/s (bare kafkajs; runs ${spread(r.ingestBaseline)})`,
      `${f2(r.ingest.eventsPerSec / r.ingestBaseline.eventsPerSec)}×`,
      `≥ 60,000/s and ≥ 0.7×: ${verdict(r.ingest.eventsPerSec >= 60_000 && r.ingest.eventsPerSec >= 0.7 * r.ingestBaseline.eventsPerSec)}`,
    ],
    [
      "/submit/1 latency, 1 in flight",
      `p50 ${f2(r.submitLatency.p50)} ms, p99 ${f2(r.submitLatency.p99)} ms`,
      `p50 ${f2(r.submitLatencyBaseline.p50)} ms, p99 ${f2(r.submitLatencyBaseline.p99)} ms (bare node:http)`,
      "",
      `p50 ≤ 2, p99 ≤ 10: ${verdict(r.submitLatency.p50 <= 2 && r.submitLatency.p99 <= 10)}`,
    ],
    [
      `/submit/1 latency, 1 in flight, while a job of ${f0(r.submitLatencyDuringJob.jobSize)} users produces (${r.submitLatencyDuringJob.count} requests)`,
      `p50 ${f2(r.submitLatencyDuringJob.p50)} ms, p99 ${f2(r.submitLatencyDuringJob.p99)} ms`,
      `p50 ${f2(r.submitLatency.p50)} ms, p99 ${f2(r.submitLatency.p99)} ms (this system, no job running)`,
      "",
      "(no target: requests while userevents works)",
    ],
    [
      "/submit/1 requests/s, 50 in flight",
      `${f0(r.submitLoad.requestsPerSec)} req/s (p99 ${f0(r.submitLoad.p99)} ms, ${r.submitLoad.errors + r.submitLoad.non2xx} failed)`,
      `${f0(r.submitLoadBaseline.requestsPerSec)} req/s (bare node:http)`,
      `${f2(r.submitLoad.requestsPerSec / r.submitLoadBaseline.requestsPerSec)}×`,
      `≥ 0.3×: ${verdict(r.submitLoad.requestsPerSec >= 0.3 * r.submitLoadBaseline.requestsPerSec)}`,
    ],
    [
      "CPU per /submit/1 answered in that load",
      `${Object.entries(r.submitCpu)
        .map(([name, us]) => `${name} ${f0(us)} µs`)
        .join(", ")}; total ${f0(Object.values(r.submitCpu).reduce((a, b) => a + b, 0))} µs`,
      `${f0((os.cpus().length * 1e6) / r.submitLoad.requestsPerSec)} µs of CPU available per request at that rate`,
      "",
      "(no target: where the time goes)",
    ],
    [
      "/jobs/:id requests/s, 50 in flight (one RPC over RabbitMQ, a SQLite read, no write)",
      `${f0(r.jobLoad.requestsPerSec)} req/s (p99 ${f0(r.jobLoad.p99)} ms, ${r.jobLoad.errors + r.jobLoad.non2xx} failed)`,
      `${f0(r.submitLoadBaseline.requestsPerSec)} req/s (bare node:http)`,
      `${f2(r.jobLoad.requestsPerSec / r.submitLoadBaseline.requestsPerSec)}×`,
      "(no target: the RPC path without the job)",
    ],
    [
      "The gateway without RPC: /report?top=1 from its cache, 50 in flight",
      `${f0(r.gatewayLoad.requestsPerSec)} req/s (p99 ${f0(r.gatewayLoad.p99)} ms, ${r.gatewayLoad.errors + r.gatewayLoad.non2xx} failed)`,
      `${f0(r.frameworkLoadBaseline.requestsPerSec)} req/s (bare moleculer-web, one in-process action)`,
      `${f2(r.gatewayLoad.requestsPerSec / r.frameworkLoadBaseline.requestsPerSec)}×`,
      "(no target: the gateway's own hooks and headers)",
    ],
    [
      "Bare moleculer-web, one in-process action, 50 in flight",
      `${f0(r.frameworkLoadBaseline.requestsPerSec)} req/s (p99 ${f0(r.frameworkLoadBaseline.p99)} ms)`,
      `${f0(r.submitLoadBaseline.requestsPerSec)} req/s (bare node:http)`,
      `${f2(r.frameworkLoadBaseline.requestsPerSec / r.submitLoadBaseline.requestsPerSec)}×`,
      "(no target: the framework's own cost)",
    ],
    [
      `/report latency at ${f0(r.reportStored)} users (${f0(r.reportBytes / 1024)} KiB)`,
      `p50 ${f2(r.reportLatency.p50)} ms, p99 ${f2(r.reportLatency.p99)} ms`,
      `p50 ${f2(r.reportLatencyBaseline.p50)} ms, p99 ${f2(r.reportLatencyBaseline.p99)} ms (node:http, same body)`,
      "",
      `p99 ≤ 5 ms: ${verdict(r.reportLatency.p99 <= 5)}`,
    ],
    [
      `/report?top=100 at the same size`,
      `p50 ${f2(r.top100Latency.p50)} ms, p99 ${f2(r.top100Latency.p99)} ms`,
      `p50 ${f2(r.top100LatencyBaseline.p50)} ms, p99 ${f2(r.top100LatencyBaseline.p99)} ms (node:http, same body)`,
      "",
      `p99 ≤ 5 ms: ${verdict(r.top100Latency.p99 <= 5)}`,
    ],
    [
      `/report?from=…&to=… (window over every event, uncached)`,
      `p50 ${f2(r.windowedReportLatency.p50)} ms, p99 ${f2(r.windowedReportLatency.p99)} ms`,
      "",
      "",
      "(no target: scans the window)",
    ],
    [
      `Ingest, /submit/${f0(r.ingest.n)} until counted, while 2 clients ask windows over every event without pause`,
      `${f0(r.ingestWithWindows.eventsPerSec)} events/s (runs ${spread(r.ingestWithWindows)}; ${r.ingestWithWindows.windows} windows answered)`,
      `${f0(r.ingestWithoutWindows.eventsPerSec)} events/s (the same ingest without windows; runs ${spread(r.ingestWithoutWindows)})`,
      `${f2(r.ingestWithWindows.eventsPerSec / r.ingestWithoutWindows.eventsPerSec)}×`,
      "(no target: windows are counted beside the consumer)",
    ],
    ...SERVICES.map(s => [
      `RSS of ${s}`,
      `${f0(r.rss.small[s])} MB at ${f0(PLAN.memSmall)}, ${f0(r.rss.large[s])} MB at ${f0(r.reportStored)} (${f0(r.rss.settled[s])} MB after the report measurements)`,
      `${f0(r.rss.idle[s])} MB idle`,
      "",
      "",
    ]),
  ];
  rows.push([
    "RSS, all services",
    `max ${f0(maxRss(r.rss.large))} MB`,
    "",
    "",
    `flat and ≤ 150 MB: ${verdict(flat && maxRss(r.rss.large) <= 150)}`,
  ]);

  const header = ["Measure", "This system", "Baseline (same run)", "Ratio", "Target"];
  const table = [header, header.map(() => "---"), ...rows]
    .map(row => `| ${row.join(" | ")} |`)
    .join("\n");
  console.log(`\n${table}\n`);

  const v = versions();
  const doc = `# Benchmarks

Measured by \`npm run bench${quick ? " -- --quick" : ""}\` on ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} × ${cpu}, ${f0(os.totalmem() / 2 ** 30)} GiB,
${os.type()} ${os.release()}. Versions: ${Object.entries(v)
    .map(([k, x]) => `${k} ${x}`)
    .join(", ")}.
Kafka runs locally (KRaft, one node, from the Maven jars); the three services run as separate processes over
the local RabbitMQ, as \`make up\` runs them; every figure has its baseline measured in the same run, latencies in blocks alternating with their baseline's.${quick ? "\n\n**Quick run**: smaller sizes than the targets are defined for." : ""}

${table}

How each figure is measured (scripts/bench.ts):
- Ingest (median of ${INGEST_RUNS} runs, each run listed): time from sending \`GET /submit/${f0(r.ingest.n)}\` until \`/report\` counts the last of those users (the
  consumer stored it in SQLite). Baseline: the same events (JSON, keyed by id) produced in sends of 5,000 with
  \`acks: -1\` by a bare kafkajs producer and read by a bare kafkajs consumer (\`eachBatch\`, nothing done with
  them), on a new topic of the same broker, until all were seen.
- Latency: sequential requests on one kept-alive connection after 100 (/submit) or 50 (/report) warm-up
  requests; the windowed report asks a different window each time, so that no cache answers. Requests/s:
  autocannon, 50 connections, ${PLAN.loadSeconds} s. Baseline: a bare \`node:http\` server in its own process
  answering 202 with a small JSON body (for /submit) or 200 with the same body (for /report); bare
  moleculer-web: its defaults and one action of the same broker answering that small body, measured
  right after bare \`node:http\`, before the services start.
- While a job produces: \`/submit/1\` one at a time, 20 ms apart, from the moment the job that fills the
  store to ${f0(PLAN.memLarge)} users is accepted until \`/jobs/:id\` says it is no longer running; events per
  job step (\`PRODUCE_CHUNK\`): ${f0(loadConfig().submit.chunkSize)}.
- Ingest while windows are asked: after the report measurements, ${INGEST_RUNS} \`/submit/${f0(PLAN.ingest)}\` ingests alone
  and ${INGEST_RUNS} while two clients ask, one after the other without pause, reports over a new window of
  every stored event (no cache answers), alternating; the medians, each run listed.
- CPU per request: CPU time (\`/proc/<pid>/stat\`) each process used during the /submit/1 load, divided
  by the requests answered; the load generator (autocannon) runs in the benchmark's own process.
- Memory: resident set size (VmRSS) of each service process after the given number of users were counted,
  and again at the end, after the report measurements. Flat: each service grew by at most 25 MB or 25 %
  from the first sample to the one at ${f0(PLAN.memLarge)}.
`;
  const out = path.join(root, "docs", "BENCHMARKS.md");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  // Keep the analysis written below the generated part (anything after the marker).
  const marker = "<!-- analysis -->";
  const previous = fs.existsSync(out) ? fs.readFileSync(out, "utf8") : "";
  const analysis = previous.includes(marker)
    ? previous.slice(previous.indexOf(marker))
    : `${marker}\n`;
  fs.writeFileSync(out, `${doc}\n${analysis}`);
  log(`wrote ${path.relative(process.cwd(), out)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
