// The fault suite's harness: the three built services as processes (scripts/services.sh, as `make up`
// runs them), faults injected from outside (kill -9, SIGTERM, broker stop/start), and an exact check
// of the report against the events every accepted job must have produced.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { createUserEventGenerator } from "../../lib/generator";
import { cityKey, createNormalizer } from "../../lib/normalize";
import { projectRoot } from "../../lib/paths";
import { usPlaces } from "../../lib/places";
import type { Report } from "../../lib/report";
import { waitFor } from "../../lib/retry";
import { deleteTopics } from "../helpers/kafka";
import { isolatedEnv } from "../../scripts/bench/system";

const run = promisify(execFile);
const root = projectRoot();
export type Service = "api" | "userevents" | "userstats";

export interface FaultSystem {
  env: NodeJS.ProcessEnv;
  baseUrl: string;
  runDir: string;
  dataDir: string;
  /** Starts whatever service is not running and waits until /healthcheck is 200. */
  start(): Promise<void>;
  /** Starts whatever service is not running, without waiting. */
  launch(): Promise<void>;
  pid(name: Service): number;
  alive(name: Service): boolean;
  signal(name: Service, signal: NodeJS.Signals): void;
  /** Waits until the process is gone (after a signal). */
  waitExit(name: Service, timeoutMs?: number): Promise<void>;
  log(name: Service): string;
  report(): Promise<Report>;
  /** Stops the three services as `make down` does (SIGTERM), keeping their data. */
  down(): Promise<void>;
  /** Stops them and removes everything of this system. */
  stop(): Promise<void>;
}

export const DIRTY_SHARE = "0.1";

/** The three services with their own namespace, topic, group, port and data; SEED fixed. */
export async function startFaultSystem(
  extraEnv: Record<string, string> = {},
): Promise<FaultSystem> {
  const { id, runDir, baseUrl, env } = await isolatedEnv("fault", {
    GENERATOR_DIRTY_SHARE: DIRTY_SHARE,
    LOG_LEVEL: "info",
    SMTP_URL: "",
    REPORT_TO: "",
    SUBMIT_MAX: "10000000",
    RPC_TIMEOUT_MS: "5000",
    ...extraEnv,
  });
  env.SEED ??= id;
  const pidFile = (name: Service) => path.join(runDir, `${name}.pid`);
  const sys: FaultSystem = {
    env,
    baseUrl,
    runDir,
    dataDir: path.join(runDir, "data"),
    async start() {
      await run("scripts/services.sh", ["start"], { cwd: root, env, timeout: 180_000 });
    },
    async launch() {
      await run("scripts/services.sh", ["launch"], { cwd: root, env, timeout: 60_000 });
    },
    pid: name => Number(fs.readFileSync(pidFile(name), "utf8")),
    alive(name) {
      try {
        process.kill(sys.pid(name), 0);
        return true;
      } catch {
        return false;
      }
    },
    signal(name, signal) {
      process.kill(sys.pid(name), signal);
    },
    async waitExit(name, timeoutMs = 60_000) {
      await waitFor(() => !sys.alive(name), timeoutMs, `${name} to exit`, 20);
    },
    log: name => fs.readFileSync(path.join(runDir, `${name}.log`), "utf8"),
    async report() {
      const res = await fetch(`${baseUrl}/report`, { signal: AbortSignal.timeout(10_000) });
      if (res.status !== 200) throw new Error(`/report answered ${res.status}`);
      return (await res.json()) as Report;
    },
    async down() {
      await run("scripts/services.sh", ["stop"], { cwd: root, env, timeout: 180_000 });
    },
    async stop() {
      await run("scripts/services.sh", ["stop"], { cwd: root, env, timeout: 180_000 }).catch(
        () => undefined,
      );
      await deleteTopics([
        env.USER_EVENTS_TOPIC as string,
        `${env.USER_EVENTS_TOPIC as string}.dlq`,
      ]).catch(() => undefined);
      fs.rmSync(runDir, { recursive: true, force: true });
    },
  };
  try {
    await sys.start();
  } catch (err) {
    // The test file gets no system to stop: what started is stopped here, and the folder removed.
    await sys.stop();
    throw err;
  }
  return sys;
}

export interface Expected {
  total: number;
  stats: Record<string, number>;
  jobs: { id: string; seq: number; total: number; produced: number; state: string }[];
}

/**
 * What the report must say: every event of every job userevents recorded (from its own SQLite
 * file), regenerated from the job's seed and cleaned as userstats cleans it.
 */
export function expectedFromJobs(sys: FaultSystem): Expected {
  const db = new Database(path.join(sys.dataDir, "userevents.sqlite"), { readonly: true });
  const jobs = db
    .prepare("SELECT id, seq, seed, total, produced, state FROM jobs ORDER BY seq")
    .all() as {
    id: string;
    seq: number;
    seed: string;
    total: number;
    produced: number;
    state: string;
  }[];
  db.close();
  const generator = createUserEventGenerator(usPlaces(), { dirtyShare: Number(DIRTY_SHARE) });
  const normalizer = createNormalizer();
  const stats: Record<string, number> = {};
  const ids = new Set<string>();
  for (const job of jobs) {
    for (let start = 0; start < job.total; start += 10_000) {
      for (const e of generator.generate(job.seed, start, Math.min(10_000, job.total - start))) {
        if (ids.has(e.id)) continue;
        ids.add(e.id);
        const key = cityKey(normalizer.address(e.address));
        stats[key] = (stats[key] ?? 0) + 1;
      }
    }
  }
  return { total: ids.size, stats, jobs: jobs.map(({ seed: _seed, ...j }) => j) };
}

/** Waits until every job is done and the report counts them all; returns both. */
export async function settle(
  sys: FaultSystem,
  timeoutMs: number,
): Promise<{ expected: Expected; report: Report }> {
  return waitFor(
    async () => {
      const expected = expectedFromJobs(sys);
      if (expected.jobs.some(j => j.state !== "done")) return undefined;
      const report = await sys.report();
      return report.total >= expected.total ? { expected, report } : undefined;
    },
    timeoutMs,
    "every job done and counted",
    500,
  );
}

/** A job as GET /jobs/:id shows it. */
export interface JobView {
  produced: number;
  state: string;
}

/** Submits n users (expecting 202); `job()` reads the job's progress. */
export async function submitJob(
  sys: FaultSystem,
  n: number,
): Promise<{ jobId: string; job: () => Promise<JobView> }> {
  const res = await fetch(`${sys.baseUrl}/submit/${n}`);
  if (res.status !== 202) throw new Error(`/submit/${n} answered ${res.status}`);
  const { jobId } = (await res.json()) as { jobId: string };
  const job = async () => (await (await fetch(`${sys.baseUrl}/jobs/${jobId}`)).json()) as JobView;
  return { jobId, job };
}

/** One line per check, printed by the suite and kept for docs/RELIABILITY.md. */
export const results: { scenario: string; checks: string[]; seconds: number }[] = [];

export function record(scenario: string, started: number, checks: string[]): void {
  const seconds = (Date.now() - started) / 1000;
  results.push({ scenario, checks, seconds });
  console.log(
    `\n[faults] ${scenario} (${seconds.toFixed(1)} s)\n${checks.map(c => `  ✓ ${c}`).join("\n")}`,
  );
  const file = path.join(root, "test-results", "faults.json");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const previous = fs.existsSync(file)
    ? (JSON.parse(fs.readFileSync(file, "utf8")) as typeof results)
    : [];
  fs.writeFileSync(
    file,
    JSON.stringify(
      [...previous.filter(r => r.scenario !== scenario), { scenario, checks, seconds }],
      null,
      2,
    ),
  );
}

/** Kafka and RabbitMQ as the project's scripts run them. */
export const brokers = {
  async stopKafka(): Promise<void> {
    await run("scripts/kafka.sh", ["stop"], { cwd: root, timeout: 120_000 });
  },
  async startKafka(): Promise<void> {
    await run("scripts/kafka.sh", ["start"], { cwd: root, timeout: 300_000 });
  },
  /** Stops the RabbitMQ application (the node stays up, the port closes), as an outage does. */
  async stopRabbit(): Promise<void> {
    await run("rabbitmqctl", ["-q", "stop_app"], { timeout: 120_000 });
  },
  async startRabbit(): Promise<void> {
    await run("rabbitmqctl", ["-q", "start_app"], { timeout: 120_000 });
    await run("rabbitmqctl", ["-q", "await_startup"], { timeout: 120_000 });
  },
};
