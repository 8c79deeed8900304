// The system as a user runs it: scripts/services.sh starts the three built services as separate
// processes (what `make up` does), with reports mailed to the MailDev that scripts/test.sh started.
// Then: submit, report, send, and a clean stop that leaves no process behind.
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../lib/paths";
import type { Report } from "../../lib/report";
import { waitFor } from "../../lib/retry";
import { deleteTopics } from "../helpers/kafka";
import { isolatedEnv } from "../../scripts/bench/system";
import { uniqueId } from "../helpers/net";
import { http } from "../helpers/system";

const run = promisify(execFile);
const MAILDEV = `http://127.0.0.1:${process.env.MAILDEV_WEB_PORT ?? "1080"}`;

interface MailDevMail {
  subject: string;
  to: { address: string }[];
  text: string;
}

describe("the services as processes (scripts/services.sh)", () => {
  const id = uniqueId("sys");
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), "pipeline-run-"));
  const recipient = `${id}@example.com`;
  let env: NodeJS.ProcessEnv;
  let baseUrl: string;

  beforeAll(async () => {
    const isolated = await isolatedEnv("sys", {
      DATA_DIR: path.join(runDir, "data"),
      RUN_DIR: runDir,
      REPORT_TO: recipient,
      SMTP_URL: `smtp://127.0.0.1:${process.env.MAILDEV_SMTP_PORT ?? "1025"}/?ignoreTLS=true`,
    });
    baseUrl = isolated.baseUrl;
    env = isolated.env;
    fs.rmSync(isolated.runDir, { recursive: true, force: true });
    await run("scripts/services.sh", ["start"], { cwd: projectRoot(), env, timeout: 150_000 });
  });

  afterAll(async () => {
    await run("scripts/services.sh", ["stop"], { cwd: projectRoot(), env, timeout: 150_000 }).catch(
      () => undefined,
    );
    const topic = env.USER_EVENTS_TOPIC as string;
    await deleteTopics([topic, `${topic}.dlq`]);
    fs.rmSync(runDir, { recursive: true, force: true });
  });

  it("is healthy once start returns", async () => {
    const res = await http(baseUrl, "/healthcheck");
    expect(res.status).toBe(200);
    for (const name of ["api", "userevents", "userstats"]) {
      expect(fs.existsSync(path.join(runDir, `${name}.pid`)), `${name}.pid`).toBe(true);
      expect(fs.existsSync(path.join(runDir, `${name}.log`)), `${name}.log`).toBe(true);
    }
  });

  it("refuses to run a second set in the foreground beside them (make run-services after make up)", async () => {
    const pids = ["api", "userevents", "userstats"].map(name =>
      fs.readFileSync(path.join(runDir, `${name}.pid`), "utf8"),
    );
    const failed = await run("scripts/services.sh", ["run"], {
      cwd: projectRoot(),
      env,
      timeout: 60_000,
    }).then(
      () => undefined,
      (err: { code?: number; stderr?: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/already runs in the background \(pid \d+, from make up\)/);
    // The background ones are untouched, and no other process of ours started.
    expect((await http(baseUrl, "/healthcheck")).status).toBe(200);
    expect(
      ["api", "userevents", "userstats"].map(name =>
        fs.readFileSync(path.join(runDir, `${name}.pid`), "utf8"),
      ),
    ).toEqual(pids);
  });

  it("counts /submit/100 in the report and mails the report to MailDev", async () => {
    expect((await http(baseUrl, "/submit/100")).status).toBe(202);
    const report = await waitFor(
      async () => {
        const r = (await http(baseUrl, "/report")).body as Report;
        return r.total === 100 ? r : undefined;
      },
      30_000,
      "100 users in the report",
    );
    expect(Object.values(report.stats).reduce((a, b) => a + b, 0)).toBe(100);

    const sent = await http(baseUrl, "/report/send", { method: "POST" });
    expect(sent.status).toBe(200);
    const mail = await waitFor(
      async () => {
        const all = (await (await fetch(`${MAILDEV}/api/email`)).json()) as MailDevMail[];
        return all.find(m => m.to.some(t => t.address === recipient));
      },
      15_000,
      "the report in MailDev",
    );
    expect(mail.subject).toMatch(/^User stats report, \d{4}-\d{2}-\d{2}: 100 users$/);
    expect(mail.text).toContain("Distinct users: 100");
  });

  it("stops cleanly on SIGTERM: every process exits and logs its clean stop", async () => {
    const pids = ["api", "userevents", "userstats"].map(n =>
      Number(fs.readFileSync(path.join(runDir, `${n}.pid`), "utf8")),
    );
    await run("scripts/services.sh", ["stop"], { cwd: projectRoot(), env, timeout: 150_000 });
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    expect(fs.readFileSync(path.join(runDir, "userstats.log"), "utf8")).toContain(
      "userstats stopped cleanly.",
    );
    expect(fs.readFileSync(path.join(runDir, "userevents.log"), "utf8")).toContain(
      "userevents stopped cleanly.",
    );
    expect(fs.readFileSync(path.join(runDir, "api.log"), "utf8")).toContain(
      "ServiceBroker is stopped",
    );
  });
});

describe("scripts/services.sh start when a service cannot start", () => {
  /** Runs `start`, which must fail within a minute; its exit code, whether it was killed, stderr. */
  const failedStart = (env: NodeJS.ProcessEnv) =>
    run("scripts/services.sh", ["start"], { cwd: projectRoot(), env, timeout: 60_000 }).then(
      () => undefined,
      (err: unknown) => err as { code: number; killed: boolean; stderr: string },
    );

  it("refuses at once when another process holds the gateway's port", async () => {
    const holder = net.createServer();
    await new Promise<void>(resolve => holder.listen(0, "127.0.0.1", resolve));
    const { port } = holder.address() as net.AddressInfo;
    const { env, runDir } = await isolatedEnv("taken", { HTTP_PORT: String(port) });
    try {
      const failed = await failedStart(env);
      expect(failed?.code).toBe(1);
      expect(failed?.stderr).toContain(`port ${port} is taken by another process`);
      // Nothing was started.
      expect(fs.readdirSync(runDir).filter(f => f.endsWith(".pid"))).toEqual([]);
    } finally {
      await new Promise(resolve => holder.close(resolve));
      fs.rmSync(runDir, { recursive: true, force: true });
    }
  });

  it("refuses at once on a bad setting, naming each bad variable without a stack trace", async () => {
    const { env, runDir } = await isolatedEnv("badenv", { LOG_LEVEL: "loud", PRODUCE_CHUNK: "0" });
    try {
      const failed = await failedStart(env);
      expect(failed?.code).toBe(1);
      expect(failed?.stderr).toContain(
        'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, got "loud"',
      );
      expect(failed?.stderr).toContain("PRODUCE_CHUNK must be between 1 and 100000, got 0");
      expect(failed?.stderr).not.toMatch(/\n\s+at /);
      expect(fs.readdirSync(runDir).filter(f => f.endsWith(".pid"))).toEqual([]);
    } finally {
      fs.rmSync(runDir, { recursive: true, force: true });
    }
  });

  it("stops waiting as soon as a service exits, names it and shows its log", async () => {
    const { env, runDir } = await isolatedEnv("nokafka", {
      // Nothing listens there: userevents and userstats give up after a second and exit.
      KAFKA_BROKERS: "127.0.0.1:9",
      STARTUP_TIMEOUT_MS: "1000",
      // Were the script to wait for the health check, execFile would kill it first.
      HEALTH_TIMEOUT: "600",
    });
    try {
      const failed = await failedStart(env);
      expect(failed).toBeDefined();
      expect(failed?.killed).toBe(false);
      expect(failed?.code).toBe(1);
      expect(failed?.stderr).toMatch(/error: user(events|stats) exited during start-up/);
      expect(failed?.stderr).toContain("127.0.0.1:9");
    } finally {
      await run("scripts/services.sh", ["stop"], { cwd: projectRoot(), env, timeout: 150_000 });
      fs.rmSync(runDir, { recursive: true, force: true });
    }
  }, 90_000);
});

describe("scripts/services.sh run (make run-services) and Ctrl-C", () => {
  it("runs the three in the foreground, and one SIGINT to the terminal's process group stops each once, cleanly", async () => {
    const { env, runDir, baseUrl } = await isolatedEnv("fg");
    // As a terminal runs it: a process group of its own, which Ctrl-C signals as a whole (the
    // services and concurrently, which passes the signal on: each service gets it twice).
    const child = spawn("scripts/services.sh", ["run"], {
      cwd: projectRoot(),
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>(resolve => child.on("exit", code => resolve(code)));
    try {
      await waitFor(
        async () => (await http(baseUrl, "/healthcheck").catch(() => undefined))?.status === 200,
        90_000,
        "the services in the foreground to be healthy",
      );
      process.kill(-(child.pid as number), "SIGINT");
      const code = await Promise.race([
        exited,
        new Promise<"hung">(resolve => setTimeout(() => resolve("hung"), 60_000).unref()),
      ]);
      expect(code).not.toBe("hung");
      for (const name of ["userevents", "userstats"]) {
        expect(output.split(`${name} stopped cleanly.`).length - 1, output).toBe(1);
      }
      expect(output.split("Service 'api' stopped.").length - 1, output).toBe(1);
      expect(output).not.toMatch(/Channel ended|Unhandled|\n\s+at /);
    } finally {
      if (child.exitCode === null && child.signalCode === null)
        process.kill(-(child.pid as number), "SIGKILL");
      const topic = env.USER_EVENTS_TOPIC as string;
      await deleteTopics([topic, `${topic}.dlq`]);
      fs.rmSync(runDir, { recursive: true, force: true });
    }
  }, 180_000);
});
