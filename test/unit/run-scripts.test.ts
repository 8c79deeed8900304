// scripts/lib.sh, which make up / make down use to start and stop processes: a pid file whose pid
// now belongs to another process (reused after a reboot) must not make them skip a start or kill
// that process. Real processes, a temp RUN_DIR.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net, { type AddressInfo } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../lib/config";
import { projectRoot } from "../../lib/paths";
import { waitFor } from "../../lib/retry";
import { brokerAddresses, splitHostPort } from "../../scripts/bench/system";
import { tempDir } from "../helpers/tmp";

const run = promisify(execFile);
/** Clock ticks since boot (the unit of a process's start time in /proc/<pid>/stat). */
const uptimeTicks = () =>
  Math.floor(Number(fs.readFileSync("/proc/uptime", "utf8").split(" ")[0]) * 100);

describe("scripts/lib.sh pid files", () => {
  let tmp: ReturnType<typeof tempDir>;
  let other: ChildProcess;
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const lib = (script: string) =>
    run("bash", ["-c", `set -euo pipefail; source scripts/lib.sh; ${script}`], {
      cwd: projectRoot(),
      env: { ...process.env, RUN_DIR: tmp.dir },
    });

  beforeEach(async () => {
    tmp = tempDir();
    // A process that is not ours to stop.
    other = spawn("sleep", ["60"], { stdio: "ignore" });
    // Start times count in clock ticks (10 ms): the processes the test starts must start in a
    // later tick than this one, as a process whose pid is reused after a reboot would.
    const ticks = (stat: string) => Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
    const otherStart = ticks(fs.readFileSync(`/proc/${other.pid}/stat`, "utf8"));
    await waitFor(() => uptimeTicks() > otherStart + 1, 2000, "a later clock tick");
  });
  afterEach(() => {
    other.kill("SIGKILL");
    tmp.remove();
  });

  it("starts, finds and stops its own process", async () => {
    const started = await lib("start_bg x sleep 60; pid_of x");
    const pid = Number(/\(pid (\d+),/.exec(started.stdout)?.[1]);
    expect(alive(pid)).toBe(true);
    expect(started.stdout.trim().endsWith(String(pid))).toBe(true);
    expect((await lib("start_bg x sleep 60")).stdout).toContain(`x already running (pid ${pid})`);
    await lib("stop_bg x 5");
    expect(alive(pid)).toBe(false);
    expect(fs.readdirSync(tmp.dir).filter(f => !f.endsWith(".log"))).toEqual([]);
  });

  it("treats a pid file whose pid is now another process as stale, and leaves that process alone", async () => {
    const reuse = async () => {
      const started = await lib("start_bg x sleep 60");
      process.kill(Number(/\(pid (\d+),/.exec(started.stdout)?.[1]), "SIGKILL");
      // The pid is reused: the file now names a live process that x never was.
      fs.writeFileSync(path.join(tmp.dir, "x.pid"), String(other.pid));
    };

    await reuse();
    const stopped = await lib("stop_bg x 5");
    expect(stopped.stdout).toContain("x not running");
    expect(alive(other.pid as number)).toBe(true);
    expect(fs.existsSync(path.join(tmp.dir, "x.pid"))).toBe(false);

    await reuse();
    const again = await lib("start_bg x sleep 60");
    expect(again.stdout).toMatch(/x started \(pid \d+,/);
    await lib("stop_bg x 5");
    expect(alive(other.pid as number)).toBe(true);
  });
});

describe("scripts/lib.sh broker addresses", () => {
  const addresses = async (env: Record<string, string>) => {
    const clean = { ...process.env };
    for (const name of ["KAFKA_PORT", "RABBITMQ_PORT", "KAFKA_BROKERS", "AMQP_URL"])
      delete clean[name];
    const tmp = tempDir();
    try {
      const { stdout } = await run(
        "bash",
        ["-c", 'source scripts/lib.sh; printf "%s\\n%s" "$KAFKA_BROKERS" "$AMQP_URL"'],
        { cwd: projectRoot(), env: { ...clean, RUN_DIR: tmp.dir, ...env } },
      );
      return stdout.split("\n");
    } finally {
      tmp.remove();
    }
  };

  it("gives the services the brokers' ports the scripts use, unless the addresses are set", async () => {
    expect(await addresses({})).toEqual(["127.0.0.1:9092", "amqp://guest:guest@127.0.0.1:5672"]);
    expect(await addresses({ KAFKA_PORT: "19092", RABBITMQ_PORT: "15672" })).toEqual([
      "127.0.0.1:19092",
      "amqp://guest:guest@127.0.0.1:15672",
    ]);
    expect(
      await addresses({ KAFKA_PORT: "19092", KAFKA_BROKERS: "kafka:9092", AMQP_URL: "amqp://mq" }),
    ).toEqual(["kafka:9092", "amqp://mq"]);
  });
});

// npm run bench / npm run soak start no shell: they must find the brokers where `make up` puts them.
describe("the benchmark's brokers", () => {
  const cases: Record<string, string>[] = [
    {},
    { KAFKA_PORT: "19092", RABBITMQ_PORT: "15672" },
    { KAFKA_BROKERS: "10.0.0.5:9094,10.0.0.6:9094", KAFKA_PORT: "19092" },
    { AMQP_URL: "amqp://u:p@mq.example:5673", RABBITMQ_PORT: "15672" },
  ];
  it.each(cases)("are those scripts/lib.sh exports for %o", async vars => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...vars };
    const { stdout } = await run(
      "bash",
      ["-c", 'source scripts/lib.sh; printf "%s\\n%s" "$KAFKA_BROKERS" "$AMQP_URL"'],
      { cwd: projectRoot(), env },
    );
    const [kafka, amqp] = stdout.split("\n");
    expect(brokerAddresses(env)).toEqual({ kafkaBrokers: kafka?.split(","), amqpUrl: amqp });
  });

  it("take a Kafka broker as host:port, and refuse what the services' config refuses", () => {
    expect(splitHostPort("10.0.0.5:9094")).toEqual(["10.0.0.5", "9094"]);
    expect(splitHostPort("localhost:19092")).toEqual(["localhost", "19092"]);
    for (const bad of ["kafka", "[::1]:9092", "host:", ":9092", "host:port"]) {
      expect(() => splitHostPort(bad), bad).toThrow(
        `KAFKA_BROKERS entry "${bad}" is not host:port`,
      );
      expect(() => loadConfig({ KAFKA_BROKERS: bad }), bad).toThrow(
        `KAFKA_BROKERS entry "${bad}" is not host:port`,
      );
    }
  });
});

describe("scripts/maildev.sh status", () => {
  const status = (port: number, runDir: string) =>
    run("scripts/maildev.sh", ["status"], {
      cwd: projectRoot(),
      env: { ...process.env, RUN_DIR: runDir, MAILDEV_SMTP_PORT: String(port) },
    }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }),
    );

  it("counts a mail catcher it did not start as running, as start does, and nothing as stopped", async () => {
    const tmp = tempDir();
    const server = net.createServer(socket => socket.end());
    try {
      await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
      const { port } = server.address() as AddressInfo;
      expect(await status(port, tmp.dir)).toEqual({
        code: 0,
        stdout: `maildev: port ${port} answers (not started by this project)\n`,
      });
      await new Promise(resolve => server.close(resolve));
      expect(await status(port, tmp.dir)).toEqual({ code: 1, stdout: "maildev stopped\n" });
    } finally {
      server.close();
      tmp.remove();
    }
  });
});
