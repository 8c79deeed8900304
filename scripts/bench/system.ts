/** The system under benchmark: the three built services as processes, isolated from `make up`. */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "../../lib/net";
import { projectRoot } from "../../lib/paths";

export { freePort };

const run = promisify(execFile);
export const SERVICES = ["api", "userevents", "userstats"] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface BenchSystem {
  baseUrl: string;
  env: NodeJS.ProcessEnv;
  runDir: string;
  topic: string;
  /** Resident memory of each service process, in MB. */
  rss(): Record<ServiceName, number>;
  /** The process id of each service. */
  pids(): Record<ServiceName, number>;
  stop(): Promise<void>;
}

/** Resident set size of a process in MB (from /proc). */
export function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

export interface Isolated {
  id: string;
  runDir: string;
  baseUrl: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Environment for the three services as processes (scripts/services.sh) that shares nothing with
 * `make up` or other runs: its own run folder, data, port, moleculer namespace, topic and group.
 */
export async function isolatedEnv(
  prefix: string,
  extraEnv: Record<string, string> = {},
): Promise<Isolated> {
  const id = `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), `pipeline-${prefix}-`));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RUN_DIR: runDir,
    DATA_DIR: path.join(runDir, "data"),
    HTTP_PORT: String(port),
    HTTP_HOST: "127.0.0.1",
    MOLECULER_NAMESPACE: id,
    USER_EVENTS_TOPIC: `user-events-${id}`,
    USERSTATS_GROUP: `userstats-${id}`,
    REPORT_CRON: "0 0 1 1 *",
    ...extraEnv,
  };
  return { id, runDir, baseUrl: `http://127.0.0.1:${port}`, env };
}

/** Starts the services (scripts/services.sh) with their own namespace, topic, group, port and data. */
export async function startBenchSystem(
  extraEnv: Record<string, string> = {},
): Promise<BenchSystem> {
  const { runDir, baseUrl, env } = await isolatedEnv("bench", {
    LOG_LEVEL: "warn",
    SMTP_URL: "",
    REPORT_TO: "",
    SUBMIT_MAX: "10000000",
    RATE_LIMIT_WRITES_PER_MINUTE: "0",
    ...extraEnv,
  });
  const topic = env.USER_EVENTS_TOPIC as string;
  await run("scripts/services.sh", ["start"], { cwd: projectRoot(), env, timeout: 180_000 });
  const pid = (name: ServiceName): number =>
    Number(fs.readFileSync(path.join(runDir, `${name}.pid`), "utf8"));
  return {
    baseUrl,
    env,
    runDir,
    topic,
    rss: () =>
      Object.fromEntries(SERVICES.map(s => [s, rssMb(pid(s))])) as Record<ServiceName, number>,
    pids: () => Object.fromEntries(SERVICES.map(s => [s, pid(s)])) as Record<ServiceName, number>,
    async stop() {
      await run("scripts/services.sh", ["stop"], { cwd: projectRoot(), env, timeout: 180_000 });
      fs.rmSync(runDir, { recursive: true, force: true });
    },
  };
}

/** Seconds of CPU (user + system) each process used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces), counted from field 3 (state).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Linux's USER_HZ: /proc counts CPU time in 1/100 s (`getconf CLK_TCK`). */
const CLOCK_TICKS = 100;

/** The pid of the first process whose command line contains every one of `parts`, if any. */
export function findProcess(...parts: string[]): number | undefined {
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (parts.every(p => cmdline.includes(p))) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}
