/** The system under benchmark: the three built services as processes, isolated from `make up`. */
import { execFile } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { projectRoot } from "../../lib/paths";

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
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Resident set size of a process in MB (from /proc). */
export function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** Starts the services (scripts/services.sh) with their own namespace, topic, group, port and data. */
export async function startBenchSystem(
  extraEnv: Record<string, string> = {},
): Promise<BenchSystem> {
  const id = `bench-${Date.now().toString(36)}`;
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), "pipeline-bench-"));
  const port = await freePort();
  const topic = `user-events-${id}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RUN_DIR: runDir,
    DATA_DIR: path.join(runDir, "data"),
    HTTP_PORT: String(port),
    HTTP_HOST: "127.0.0.1",
    MOLECULER_NAMESPACE: id,
    USER_EVENTS_TOPIC: topic,
    USERSTATS_GROUP: `userstats-${id}`,
    LOG_LEVEL: "warn",
    REPORT_CRON: "0 0 1 1 *",
    SMTP_URL: "",
    REPORT_TO: "",
    SUBMIT_MAX: "10000000",
    ...extraEnv,
  };
  await run("scripts/services.sh", ["start"], { cwd: projectRoot(), env, timeout: 180_000 });
  const pid = (name: ServiceName): number =>
    Number(fs.readFileSync(path.join(runDir, `${name}.pid`), "utf8"));
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    env,
    runDir,
    topic,
    rss: () =>
      Object.fromEntries(SERVICES.map(s => [s, rssMb(pid(s))])) as Record<ServiceName, number>,
    async stop() {
      await run("scripts/services.sh", ["stop"], { cwd: projectRoot(), env, timeout: 180_000 });
      fs.rmSync(runDir, { recursive: true, force: true });
    },
  };
}
