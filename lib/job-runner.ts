/**
 * Runs submit jobs in the background: generates each job's events chunk by chunk, produces each chunk,
 * and records progress after Kafka acknowledged it. Memory is bounded by a shared budget of events in
 * flight, whatever the number or size of jobs. A chunk that fails to produce is retried with backoff;
 * on stop, each job finishes the chunk in flight and is resumed from its stored progress next start.
 */
import { setTimeout as delay, setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { JobStore, StoredJob } from "./job-store";
import type { Log } from "./log";
import { Semaphore } from "./semaphore";

export interface JobRunnerOptions<M> {
  store: JobStore;
  chunkSize: number;
  /** Events generated but not yet acknowledged, across all jobs. */
  maxBufferedEvents: number;
  /** Builds the messages of events start … start+count-1 of a job. */
  makeMessages: (job: StoredJob, start: number, count: number) => M[];
  send: (messages: M[]) => Promise<void>;
  log: Log;
  /** Chunks of one job sent and not yet acknowledged at once. Default 3. */
  chunksInFlight?: number;
  /** A job whose chunk keeps failing for this long is marked failed. Default 15 minutes. */
  failAfterMs?: number;
  /**
   * A job stopped by an unexpected error (its progress could not be recorded, say) is started again
   * from its stored progress after this long. Default 5 s.
   */
  resumeAfterMs?: number;
}

export class JobRunner<M> {
  private readonly budget: Semaphore;
  private readonly tasks = new Map<string, Promise<void>>();
  /** Jobs waiting to be started again after an unexpected error. */
  private readonly resuming = new Set<Promise<void>>();
  /** Times each job was resumed after an unexpected error (for the backoff); gone once it ends. */
  private readonly resumes = new Map<string, number>();
  private readonly abort = new AbortController();

  constructor(private readonly opts: JobRunnerOptions<M>) {
    this.budget = new Semaphore(opts.maxBufferedEvents);
  }

  /**
   * Runs the job in the background (no-op if it already runs). It begins once the event loop had its
   * turn, so that the answer to the request that made the job leaves before its first chunk is
   * generated.
   */
  start(job: StoredJob): void {
    if (this.tasks.has(job.id) || this.abort.signal.aborted) return;
    let crashed = false;
    const task = yieldToEventLoop()
      .then(() => this.run(job))
      .catch((err: unknown) => {
        crashed = true;
        this.opts.log.error(
          "Submit job stopped on an unexpected error; it resumes from its stored progress.",
          { jobId: job.id, error: err instanceof Error ? err.message : String(err) },
        );
      })
      .finally(() => {
        this.tasks.delete(job.id);
        if (crashed) this.resumeLater(job.id);
        else this.resumes.delete(job.id);
      });
    this.tasks.set(job.id, task);
  }

  /**
   * Starts a job again from its stored progress after a while, unless the runner stops first: the
   * first wait is resumeAfterMs, each further one for the same job twice as long, up to a minute.
   */
  private resumeLater(jobId: string): void {
    const first = this.opts.resumeAfterMs ?? 5000;
    const times = (this.resumes.get(jobId) ?? 0) + 1;
    this.resumes.set(jobId, times);
    const wait = Math.min(first * 2 ** (times - 1), Math.max(first, 60_000));
    const resume = delay(wait, undefined, { signal: this.abort.signal })
      .then(() => {
        const job = this.opts.store.get(jobId);
        if (job?.state === "running") this.start(job);
        // Ended meanwhile (marked failed, or pruned): nothing to resume, nothing to count.
        else this.resumes.delete(jobId);
      })
      .catch((err: unknown) => {
        if (this.abort.signal.aborted) return;
        // The store itself failed: try again later, as long as the runner runs.
        this.opts.log.error("Submit job could not be resumed; trying again.", {
          jobId,
          error: err instanceof Error ? err.message : String(err),
        });
        this.resumeLater(jobId);
      })
      .finally(() => this.resuming.delete(resume));
    this.resuming.add(resume);
  }

  /** Jobs currently running in this process. */
  get active(): number {
    return this.tasks.size;
  }

  /** Lets every job finish the chunk it has in flight, then returns. */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled([...this.tasks.values(), ...this.resuming]);
  }

  private async run(job: StoredJob): Promise<void> {
    const { store, chunkSize, log } = this.opts;
    const depth = this.opts.chunksInFlight ?? 3;
    const signal = this.abort.signal;
    // Chunks sent but not yet acknowledged, oldest first: the next one is generated while earlier
    // ones travel. Progress is recorded only up to the oldest unacknowledged chunk, so a restart
    // resumes at a chunk boundary and at worst re-produces a few chunks (same ids: harmless).
    const inFlight: { end: number; sent: Promise<boolean> }[] = [];
    let next = job.produced;
    let produced = job.produced;
    let failed = false;
    try {
      while (produced < job.total && !failed) {
        while (next < job.total && inFlight.length < depth && !signal.aborted) {
          const count = Math.min(chunkSize, job.total - next);
          await this.budget.acquire(count);
          // Generating a chunk holds the event loop for a while (9–18 ms for 5,000 events): let the
          // requests and acknowledgements that arrived meanwhile go first.
          await yieldToEventLoop();
          if (signal.aborted) {
            this.budget.release(count);
            break;
          }
          const messages = this.opts.makeMessages(job, next, count);
          // The budget comes back when the chunk is settled, not when this loop gets to it: a job
          // waiting above for budget must not hold back what its own acknowledged chunks free.
          const sent = this.sendWithRetry(job, messages).finally(() => this.budget.release(count));
          // A chunk behind the oldest may fail (its store write, say) while the loop waits for
          // the oldest: handled here, so that it is no unhandled rejection; the loop still sees it.
          sent.catch(() => undefined);
          inFlight.push({ end: next + count, sent });
          next += count;
        }
        const head = inFlight.shift();
        if (head === undefined) break; // stopping, and nothing left in flight
        // A later chunk may have given up and marked the job failed meanwhile: stop here too.
        const ok = (await head.sent) && store.get(job.id)?.state !== "failed";
        if (!ok) {
          // A chunk also settles false when a shutdown stopped its retries: then the job is paused.
          failed = store.get(job.id)?.state === "failed";
          break;
        }
        produced = head.end;
        store.update(job.id, produced, produced >= job.total ? "done" : "running");
      }
    } finally {
      // Let the chunks still in flight finish, also when this job stops on an error (their
      // progress is not recorded past a failure; the job resumes from what is).
      await Promise.allSettled(inFlight.map(rest => rest.sent));
    }
    if (produced >= job.total) log.debug("Submit job done.", { jobId: job.id, total: job.total });
    else if (!failed)
      log.info("Submit job paused for shutdown; it resumes at next start.", {
        jobId: job.id,
        produced,
      });
  }

  /** True once sent; false if the job was marked failed or the runner is stopping. */
  private async sendWithRetry(job: StoredJob, messages: M[]): Promise<boolean> {
    const failAfter = this.opts.failAfterMs ?? 15 * 60_000;
    const started = Date.now();
    let wait = 500;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.opts.send(messages);
        return true;
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        if (Date.now() - started > failAfter) {
          this.opts.log.error("Submit job failed: Kafka kept refusing its events.", {
            jobId: job.id,
            error,
          });
          this.opts.store.update(
            job.id,
            this.opts.store.get(job.id)?.produced ?? 0,
            "failed",
            error,
          );
          return false;
        }
        if (this.abort.signal.aborted || this.opts.store.get(job.id)?.state === "failed")
          return false;
        this.opts.log.warn(
          `Producing a chunk failed (attempt ${attempt}); retrying in ${wait} ms.`,
          {
            jobId: job.id,
            error,
          },
        );
        await delay(wait, undefined, { signal: this.abort.signal }).catch(() => undefined);
        // Stopping while it waited: no further attempt, the job resumes at next start.
        if (this.abort.signal.aborted) return false;
        wait = Math.min(wait * 2, 10_000);
      }
    }
  }
}
