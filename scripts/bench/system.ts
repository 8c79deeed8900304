/** The system under benchmark: the three built services as processes, isolated from `make up`. */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort, portOpen } from "../../lib/net";
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

const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/**
 * Where the brokers are, as scripts/lib.sh sees them for `make up`: `KAFKA_BROKERS` and `AMQP_URL`,
 * which follow `KAFKA_PORT` and `RABBITMQ_PORT` unless set themselves.
 */
export function brokerAddresses(env: NodeJS.ProcessEnv = process.env): {
  kafkaBrokers: string[];
  amqpUrl: string;
} {
  const kafkaPort = env.KAFKA_PORT || "9092";
  const rabbitPort = env.RABBITMQ_PORT || "5672";
  return {
    kafkaBrokers: (env.KAFKA_BROKERS || `127.0.0.1:${kafkaPort}`).split(",").map(b => b.trim()),
    amqpUrl: env.AMQP_URL || `amqp://guest:guest@127.0.0.1:${rabbitPort}`,
  };
}

/**
 * Makes sure the brokers answer: a local one that does not is started by the project's scripts
 * on the port it is looked for on; a remote one that does not is an error. The addresses are
 * exported to the environment, so that the services started next use the same brokers. Returns
 * whether Kafka was started here (and is to be stopped at the end).
 */
export async function ensureBrokers(): Promise<{ kafkaBrokers: string[]; startedKafka: boolean }> {
  const { kafkaBrokers, amqpUrl } = brokerAddresses();
  process.env.KAFKA_BROKERS = kafkaBrokers.join(",");
  process.env.AMQP_URL = amqpUrl;
  const [kafkaHost, kafkaPort] = splitHostPort(kafkaBrokers[0] ?? "");
  const amqp = new URL(amqpUrl);
  // An IPv6 address is written in brackets in a URL, and without them to connect to.
  const rabbitHost = amqp.hostname.replace(/^\[(.*)\]$/, "$1");
  const rabbitPort = amqp.port || "5672";
  const start = async (
    what: string,
    host: string,
    port: string,
    script: string,
    portVar: string,
  ) => {
    if (await portOpen(Number(port), host)) return false;
    if (!LOCAL_HOSTS.has(host))
      throw new Error(
        `${what} does not answer at ${host}:${port}, and only a local one is started here`,
      );
    await run(`scripts/${script}`, ["start"], {
      cwd: projectRoot(),
      env: { ...process.env, [portVar]: port },
      timeout: 300_000,
    });
    return true;
  };
  const startedKafka = await start("Kafka", kafkaHost, kafkaPort, "kafka.sh", "KAFKA_PORT");
  await start("RabbitMQ", rabbitHost, rabbitPort, "rabbitmq.sh", "RABBITMQ_PORT");
  return { kafkaBrokers, startedKafka };
}

/** Stops the local Kafka that ensureBrokers started. */
export async function stopStartedKafka(kafkaBrokers: string[]): Promise<void> {
  const [, port] = splitHostPort(kafkaBrokers[0] ?? "");
  await run("scripts/kafka.sh", ["stop"], {
    cwd: projectRoot(),
    env: { ...process.env, KAFKA_PORT: port },
    timeout: 120_000,
  });
}

/** A KAFKA_BROKERS entry as host and port, checked as the services' config checks it. */
export function splitHostPort(address: string): [string, string] {
  const parts = /^([^\s:]+):(\d{1,5})$/.exec(address);
  if (parts === null) throw new Error(`KAFKA_BROKERS entry "${address}" is not host:port`);
  return [parts[1] as string, parts[2] as string];
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
