// JobStore on a real SQLite file, and JobRunner with an in-memory send function.
import path from "node:path";
import { Worker } from "node:worker_threads";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../lib/config";
import { JobRunner, type JobRunnerOptions } from "../../lib/job-runner";
import { JobThread } from "../../lib/job-thread";
import { freePort } from "../../lib/net";
import { JobStore, publicJob } from "../../lib/job-store";
import { silentLog } from "../../lib/log";
import { waitFor } from "../../lib/retry";
import { tempDir } from "../helpers/tmp";

describe("jobs", () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: JobStore;
  beforeEach(() => {
    tmp = tempDir();
    store = new JobStore(path.join(tmp.dir, "jobs.sqlite"));
  });
  afterEach(() => {
    store.close();
    tmp.remove();
  });
  /** A runner over this test's store, in chunks of 10 events; `opts` holds what the test is about. */
  const runnerWith = (
    opts: Pick<JobRunnerOptions<number>, "makeMessages" | "send"> &
      Partial<JobRunnerOptions<number>>,
  ): JobRunner<number> =>
    new JobRunner<number>({
      store,
      chunkSize: 10,
      maxBufferedEvents: 100,
      log: silentLog,
      ...opts,
    });

  it("creates jobs with increasing sequence numbers and seeds, and hides the seed publicly", () => {
    const a = store.create(10, seq => `s:${seq}`);
    const b = store.create(5, seq => `s:${seq}`);
    expect([a.seq, b.seq]).toEqual([1, 2]);
    expect(store.get(a.id)).toMatchObject({
      state: "running",
      total: 10,
      produced: 0,
      seed: "s:1",
    });
    expect(publicJob(store.get(a.id)!)).not.toHaveProperty("seed");
    expect(store.running().map(j => j.id)).toEqual([a.id, b.id]);
    expect(store.get("nope")).toBeUndefined();
  });

  it("returns the existing job for an id it has, creating nothing (a request delivered twice)", () => {
    const first = store.create(10, seq => `s:${seq}`, "request-1");
    const again = store.create(99, seq => `s:${seq}`, "request-1");
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ id: "request-1", total: 10, seq: first.seq, created: false });
    expect(store.running()).toHaveLength(1);
  });

  it("runs a job chunk by chunk and records progress after each acknowledged chunk", async () => {
    const job = store.create(25, () => "seed");
    const sent: number[][] = [];
    const runner = runnerWith({
      makeMessages: (_job, start, count) => Array.from({ length: count }, (_, i) => start + i),
      send: messages => {
        sent.push(messages);
        return Promise.resolve();
      },
    });
    runner.start(job);
    await waitFor(() => store.get(job.id)?.state === "done", 5000, "the job to finish");
    expect(sent.map(m => m.length)).toEqual([10, 10, 5]);
    expect(sent.flat()).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(store.get(job.id)).toMatchObject({ produced: 25, state: "done" });
    await runner.stop();
  });

  it("generates no chunk before the event loop had its turn, neither at start nor between chunks", async () => {
    const job = store.create(30, () => "seed");
    const order: string[] = [];
    const runner = runnerWith({
      makeMessages: (_job, start, count) => {
        order.push(`chunk ${start}`);
        return Array.from({ length: count }, (_, i) => start + i);
      },
      send: () => Promise.resolve(),
    });
    runner.start(job);
    // What the answer to the submit request waits for: promise callbacks, then one I/O turn.
    for (let i = 0; i < 20; i++) await Promise.resolve();
    order.push("answer sent");
    // Each chunk waits for a turn of the event loop: a request arriving meanwhile goes between.
    const between = (n: number) => setImmediate(() => order.push(`turn ${n}`));
    between(1);
    await waitFor(() => store.get(job.id)?.state === "done", 5000, "the job to finish");
    expect(order[0]).toBe("answer sent");
    expect(order.indexOf("turn 1")).toBeLessThan(order.indexOf("chunk 10"));
    expect(order.filter(o => o.startsWith("chunk"))).toEqual(["chunk 0", "chunk 10", "chunk 20"]);
    await runner.stop();
  });

  it("retries a failing chunk, and on stop leaves progress where a restart resumes it", async () => {
    const job = store.create(30, () => "seed");
    let calls = 0;
    const failing = runnerWith({
      makeMessages: (_job, start, count) => Array.from({ length: count }, (_, i) => start + i),
      send: () => {
        calls++;
        // The first chunk goes through; after that Kafka is "down".
        return calls === 1 ? Promise.resolve() : Promise.reject(new Error("down"));
      },
    });
    failing.start(job);
    await waitFor(() => calls >= 3, 5000, "a few retries");
    await failing.stop();
    expect(store.get(job.id)).toMatchObject({ produced: 10, state: "running" });

    const resumedFrom: number[] = [];
    const resumed = runnerWith({
      makeMessages: (_job, start, count) => {
        resumedFrom.push(start);
        return Array.from({ length: count }, (_, i) => start + i);
      },
      send: () => Promise.resolve(),
    });
    for (const j of store.running()) resumed.start(j);
    await waitFor(() => store.get(job.id)?.state === "done", 5000, "the resumed job");
    expect(resumedFrom).toEqual([10, 20]);
    await resumed.stop();
  });

  it("resumes a job from its stored progress when recording that progress failed, resending only the chunks not recorded", async () => {
    const job = store.create(30, () => "seed");
    const update = store.update.bind(store);
    let updates = 0;
    // The second progress write fails once (the disk was full for a moment, say).
    store.update = (...args) => {
      if (++updates === 2) throw new Error("SQLITE_FULL: database or disk is full");
      update(...args);
    };
    const sentFrom: number[] = [];
    const runner = runnerWith({
      makeMessages: (_job, start, count) => Array.from({ length: count }, (_, i) => start + i),
      send: messages => {
        sentFrom.push(messages[0]!);
        return Promise.resolve();
      },
      resumeAfterMs: 10,
    });
    runner.start(job);
    await waitFor(() => store.get(job.id)?.state === "done", 5000, "the job to finish");
    expect(store.get(job.id)).toMatchObject({ produced: 30, state: "done" });
    // Chunk 10 was acknowledged but its progress was not recorded: it is sent again (same ids, so
    // harmless), and the job goes on from there.
    expect(sentFrom.slice(0, 3)).toEqual([0, 10, 20]);
    expect(sentFrom.slice(3)).toEqual([10, 20]);
    await runner.stop();
  });

  it("sends nothing more once stopped while a failing chunk waits for its next attempt", async () => {
    const job = store.create(10, () => "seed");
    let calls = 0;
    const runner = runnerWith({
      makeMessages: () => [1],
      send: () => {
        calls++;
        return Promise.reject(new Error("down"));
      },
    });
    runner.start(job);
    await waitFor(() => calls === 1, 5000, "the first attempt");
    // The retry waits 500 ms; stopping ends that wait, and no attempt follows.
    await runner.stop();
    expect(calls).toBe(1);
    expect(store.get(job.id)).toMatchObject({ produced: 0, state: "running" });
  });

  it("marks a job failed when its chunk keeps failing past failAfterMs", async () => {
    const job = store.create(5, () => "seed");
    const runner = runnerWith({
      makeMessages: () => [1],
      send: () => Promise.reject(new Error("topic deleted")),
      failAfterMs: 0,
    });
    runner.start(job);
    await waitFor(() => store.get(job.id)?.state === "failed", 5000, "the job to fail");
    expect(store.get(job.id)?.error).toBe("topic deleted");
    await runner.stop();
  });

  it("runs several jobs at once to the end when they share a small event budget", async () => {
    // Budget for four chunks, three in flight per job: two jobs used to take two chunks each and
    // then wait for a fifth forever, since a job gave budget back only between its own chunks.
    const jobs = [
      store.create(100, () => "a"),
      store.create(100, () => "b"),
      store.create(60, () => "c"),
    ];
    let inUse = 0;
    let peak = 0;
    const runner = runnerWith({
      maxBufferedEvents: 40,
      makeMessages: (_job, start, count) => {
        inUse += count;
        peak = Math.max(peak, inUse);
        return Array.from({ length: count }, (_, i) => start + i);
      },
      send: messages =>
        new Promise(resolve =>
          setImmediate(() => {
            inUse -= messages.length;
            resolve();
          }),
        ),
    });
    for (const job of jobs) runner.start(job);
    await waitFor(
      () => jobs.every(j => store.get(j.id)?.state === "done"),
      5000,
      "every job to finish",
    );
    expect(jobs.map(j => store.get(j.id)?.produced)).toEqual([100, 100, 60]);
    expect(peak).toBeLessThanOrEqual(40);
    await runner.stop();
  });

  it("keeps a failed job failed when an earlier chunk of it is acknowledged afterwards, and makes no more chunks", async () => {
    const job = store.create(50, () => "seed");
    let releaseFirst!: () => void;
    let calls = 0;
    const generated: number[] = [];
    const runner = runnerWith({
      makeMessages: (_job, start) => {
        generated.push(start);
        return [start];
      },
      send: () => {
        calls++;
        // Chunk 1 is slow but goes through; the others fail for good meanwhile.
        if (calls === 1) return new Promise<void>(resolve => (releaseFirst = resolve));
        return Promise.reject(new Error("topic deleted"));
      },
      failAfterMs: 0,
    });
    runner.start(job);
    await waitFor(() => store.get(job.id)?.state === "failed", 5000, "the job to fail");
    releaseFirst();
    await waitFor(() => runner.active === 0, 5000, "the job's task to end");
    await runner.stop();
    expect(store.get(job.id)).toMatchObject({ state: "failed", error: "topic deleted" });
    // The three chunks in flight when it failed, and none after.
    expect(generated).toEqual([0, 10, 20]);
  });

  it("creates jobs while another thread records progress in the same file (as userevents' job thread does)", async () => {
    const writer = store.create(1_000_000, () => "w");
    // A second connection in another thread, updating one job's progress as fast as it can.
    const worker = new Worker(
      `const { workerData, parentPort } = require("node:worker_threads");
       const db = new (require(workerData.sqlite))(workerData.file);
       db.pragma("busy_timeout = 5000");
       const update = db.prepare("UPDATE jobs SET produced = ?, updated_at = ? WHERE id = ?");
       parentPort.postMessage("started");
       let i = 0;
       const until = Date.now() + 1500;
       while (Date.now() < until) update.run(++i, new Date().toISOString(), workerData.id);
       db.close();
       parentPort.postMessage(i);`,
      {
        eval: true,
        workerData: {
          sqlite: require.resolve("better-sqlite3"),
          file: path.join(tmp.dir, "jobs.sqlite"),
          id: writer.id,
        },
      },
    );
    const messages: unknown[] = [];
    worker.on("message", m => messages.push(m));
    const exited = new Promise(resolve => worker.once("exit", resolve));
    await waitFor(() => (messages.length > 0 ? true : undefined), 5000, "the writer to start");
    const created: string[] = [];
    while (messages.length < 2) {
      created.push(store.create(10, seq => `s${seq}`).id);
      await new Promise(resolve => setImmediate(resolve));
    }
    await exited;
    expect(messages[1]).toBeGreaterThan(100);
    expect(created.length).toBeGreaterThan(100);
    expect(created.every(id => store.get(id)?.state === "running")).toBe(true);
  });

  it("never gives a sequence number twice, even after pruning every job", () => {
    const first = store.create(1, seq => `s:${seq}`);
    store.update(first.id, 1, "done");
    expect(store.prune(new Date(Date.now() + 1000))).toBe(1);
    const second = store.create(1, seq => `s:${seq}`);
    expect(second.seq).toBe(first.seq + 1);
    expect(second.seed).not.toBe(first.seed);
  });

  it("lists running jobs first, then the latest finished ones, from indexes and not a sort of the table", () => {
    const finished = Array.from({ length: 30 }, () => {
      const job = store.create(1, () => "s");
      store.update(job.id, 1, "done");
      return job.id;
    });
    const running = [store.create(5, () => "s").id, store.create(5, () => "s").id];
    expect(store.recent(5).map(j => j.id)).toEqual([
      running[1],
      running[0],
      ...finished.slice(-3).reverse(),
    ]);
    expect(store.recent(1).map(j => j.id)).toEqual([running[1]]);
    // The dashboard asks every second while the table holds a day of jobs: no full scan and sort.
    const stmts = (store as unknown as { stmts: Record<string, { source: string }> }).stmts;
    const plan = (sql: string) =>
      (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(10) as { detail: string }[])
        .map(r => r.detail)
        .join("; ");
    expect(plan(stmts.recentFinished?.source ?? "")).toMatch(/USING INDEX jobs_updated/);
    expect(plan(stmts.recentFinished?.source ?? "")).not.toMatch(/TEMP B-TREE/);
    expect(plan(stmts.recentRunning?.source ?? "")).toMatch(/USING INDEX jobs_state \(state=\?\)/);
  });

  it("prunes every finished job older than a cut-off in batches, keeping running and newer ones", async () => {
    const insert = store.db.prepare(
      "INSERT INTO jobs (id, seq, seed, state, total, produced, created_at, updated_at) VALUES (?, ?, 's', 'done', 1, 1, ?, ?)",
    );
    const old = new Date(Date.now() - 48 * 3600_000).toISOString();
    store.db.transaction(() => {
      for (let i = 1; i <= 2500; i++) insert.run(`old-${i}`, 1000 + i, old, old);
    })();
    const running = store.create(1, () => "s");
    const recent = store.create(1, () => "s");
    store.update(recent.id, 1, "done");
    let batches = 0;
    const deleted = await store.pruneAll(new Date(Date.now() - 24 * 3600_000), () => {
      batches++;
      return false;
    });
    expect(deleted).toBe(2500);
    expect(batches).toBe(3);
    expect(store.recent(10).map(j => j.id)).toEqual([running.id, recent.id]);
    // A stop ends it between batches.
    store.db.transaction(() => {
      for (let i = 1; i <= 2500; i++) insert.run(`older-${i}`, 5000 + i, old, old);
    })();
    let asked = 0;
    expect(await store.pruneAll(new Date(), () => asked++ > 0)).toBe(1000);
  });

  it("prunes finished jobs older than a cut-off", () => {
    const done = store.create(1, () => "s");
    store.update(done.id, 1, "done");
    const running = store.create(1, () => "s");
    expect(store.prune(new Date(Date.now() + 1000))).toBe(1);
    expect(store.get(done.id)).toBeUndefined();
    expect(store.get(running.id)).toBeDefined();
  });
});

describe("the jobs' thread", () => {
  it("stops at once when asked to while it still waits for Kafka, instead of after the start-up timeout", async () => {
    const tmp = tempDir();
    try {
      // Nothing listens on this port: the worker keeps retrying for up to STARTUP_TIMEOUT_MS (1 hour).
      const config = loadConfig({
        DATA_DIR: tmp.dir,
        KAFKA_BROKERS: `127.0.0.1:${await freePort()}`,
        STARTUP_TIMEOUT_MS: "3600000",
      });
      const logged: string[] = [];
      const log = { ...silentLog, warn: (m: string) => void logged.push(m) };
      const thread = new JobThread(config, log);
      const starting = thread.start().catch((err: unknown) => err);
      await thread.stop();
      expect(await starting).toBeInstanceOf(Error);
      expect(thread.running).toBe(false);
      // It stopped by itself, not by the stop deadline.
      expect(logged).toEqual([]);
    } finally {
      tmp.remove();
    }
  });
});
