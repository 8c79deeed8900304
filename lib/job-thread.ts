/**
 * Runs userevents' submit jobs in a worker thread (lib/job-worker.ts), so that generating, encoding
 * and producing a job's events never holds up the service's event loop: a request that arrives
 * while a large job runs waits for nothing but the request before it. The worker has its own Kafka
 * producer and its own connection to the jobs' SQLite file; jobs are handed over by id, and their
 * progress is in that file. If the worker dies, it is started again and resumes every unfinished job
 * from its stored progress, as a restart of the process would.
 */
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type { Worker } from "node:worker_threads";
import type { Config } from "./config";
import type { Log } from "./log";
import { startWorker } from "./worker-entry";

/** How long a finished job is kept (GET /jobs/:id answers it), and how often older ones are deleted. */
export const JOB_RETENTION_MS = 24 * 3600_000;
export const PRUNE_EVERY_MS = 3600_000;

/** Budget of events generated and not yet acknowledged, across all jobs. */
export function jobEventBudget(chunkSize: number): number {
  return Math.max(chunkSize * 4, 20_000);
}

/** The jobs' SQLite file of a configuration. */
export function jobStoreFile(config: Readonly<Config>): string {
  return path.join(config.dataDir, "userevents.sqlite");
}

/** What the worker gets: the service's configuration and the counters it keeps for it. */
export interface JobWorkerData {
  config: Readonly<Config>;
  /** [events of jobs acknowledged by Kafka, produce requests sent for jobs] */
  counters: BigInt64Array;
}

export type ToJobWorker = { type: "run"; jobId: string } | { type: "stop" };

export type FromJobWorker =
  | { type: "ready"; resumedJobs: number }
  | { type: "log"; level: keyof Log; message: string; data?: unknown }
  | { type: "stopped"; failed?: string }
  | { type: "failed"; error: string };

/**
 * How long stop() waits for the worker to finish its chunks in flight and close its connections
 * before ending it (with moleculer's 15 s for requests in flight before it, within the 40 s
 * scripts/services.sh gives a service to stop before SIGKILL). Ending it loses nothing:
 * progress is recorded only for acknowledged chunks, and jobs resume from it at next start.
 */
const STOP_MS = 20_000;

/** A worker that ran this long before it exited counts as a first crash again. */
const STABLE_MS = 60_000;

/** Wait before starting the worker again after its n-th unexpected exit in a row: 0.5 s doubling to 30 s. */
export function restartDelayMs(crashesInARow: number): number {
  return Math.min(30_000, 500 * 2 ** (crashesInARow - 1));
}

export class JobThread {
  private worker: Worker | undefined;
  private readonly counters = new BigInt64Array(new SharedArrayBuffer(16));
  private stopping = false;
  private exited: Promise<void> = Promise.resolve();
  private readonly stopSignal = new AbortController();
  /** The current worker said it is ready (connected, unfinished jobs resumed). */
  private ready = false;
  /** When the current worker became ready (performance.now()). */
  private readyAt = 0;
  /**
   * Unexpected exits in a row, for the restart backoff; reset when a worker exits after it ran for
   * STABLE_MS, so that one that dies again each time it resumes its jobs is not restarted ever faster.
   */
  private crashes = 0;
  /** A worker was ready once: from then on, one that exits is started again. */
  private wasReady = false;

  constructor(
    private readonly config: Readonly<Config>,
    private readonly log: Log,
  ) {}

  /** Starts the worker; resolves once it is connected and has resumed the unfinished jobs. */
  async start(): Promise<{ resumedJobs: number }> {
    const data: JobWorkerData = { config: this.config, counters: this.counters };
    const worker = startWorker("job-worker", { workerData: data });
    this.worker = worker;
    let ready!: (resumed: { resumedJobs: number }) => void;
    let failed!: (err: Error) => void;
    const started = new Promise<{ resumedJobs: number }>((resolve, reject) => {
      ready = resolve;
      failed = reject;
    });
    worker.on("message", (message: FromJobWorker) => {
      if (message.type === "log") this.log[message.level](message.message, message.data);
      else if (message.type === "ready") {
        this.ready = true;
        this.readyAt = performance.now();
        this.wasReady = true;
        ready({ resumedJobs: message.resumedJobs });
      } else if (message.type === "failed") failed(new Error(message.error));
      else {
        // Stopped: its jobs, producer and database are closed; nothing is left to wait for.
        if (message.failed !== undefined)
          this.log.error(`The jobs' worker stopped with errors: ${message.failed}`);
        void worker.terminate();
      }
    });
    worker.on("error", err => {
      this.log.error("The jobs' worker thread failed.", { error: err.message });
      failed(err);
    });
    this.exited = new Promise(resolve =>
      worker.once("exit", code => {
        if (this.worker === worker) {
          this.worker = undefined;
          if (this.ready && performance.now() - this.readyAt >= STABLE_MS) this.crashes = 0;
          this.ready = false;
        }
        failed(new Error(`The jobs' worker thread exited (code ${code}) before it was ready`));
        resolve();
        if (!this.stopping && this.wasReady) void this.restart(code);
      }),
    );
    return started;
  }

  /** Runs a stored job in the worker (no-op if it runs already). */
  run(jobId: string): void {
    // While the worker restarts, the new one resumes the job from the store.
    this.worker?.postMessage({ type: "run", jobId } satisfies ToJobWorker);
  }

  /** Events of jobs acknowledged by Kafka since start. */
  get eventsProduced(): number {
    return Number(Atomics.load(this.counters, 0));
  }

  /** Produce requests sent for jobs since start. */
  get produceRequests(): number {
    return Number(Atomics.load(this.counters, 1));
  }

  /** Unexpected exits in a row (the restart backoff follows it). */
  get crashesInARow(): number {
    return this.crashes;
  }

  /** Whether a worker runs and is ready (false while it restarts). */
  get running(): boolean {
    return this.worker !== undefined && this.ready;
  }

  /** Lets every job finish the chunk in flight, flushes, closes the worker's connections. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopSignal.abort(); // a restart waiting for its turn gives up
    const worker = this.worker;
    if (worker === undefined) return this.exited;
    worker.postMessage({ type: "stop" } satisfies ToJobWorker);
    const timer = setTimeout(() => {
      this.log.warn(
        `The jobs' worker did not stop within ${STOP_MS / 1000} s: ending it; its jobs resume from their stored progress at next start.`,
      );
      void worker.terminate();
    }, STOP_MS);
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends the worker at once, as a crash would: it is started again (for fault tests). */
  async kill(): Promise<void> {
    await this.worker?.terminate();
  }

  private async restart(code: number): Promise<void> {
    this.crashes++;
    const wait = restartDelayMs(this.crashes);
    this.log.error(
      `The jobs' worker thread exited unexpectedly (code ${code}); starting it again in ${wait} ms.`,
    );
    try {
      await delay(wait, undefined, { signal: this.stopSignal.signal });
    } catch {
      return; // stopped while waiting
    }
    if (this.stopping) return;
    try {
      const { resumedJobs } = await this.start();
      this.log.info("The jobs' worker thread runs again.", { resumedJobs });
    } catch (err) {
      // Its exit handler schedules the next attempt.
      this.log.error("The jobs' worker thread did not start.", {
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
}
