/**
 * Counts reports over a time window in a worker thread (lib/report-worker.ts) with its own
 * connection to the store's file. Such a report scans every event of its window (about 0.4 s for a
 * million here); on the service's thread it would hold up the consumer's batches and every other
 * call for that long. The worker starts with the first windowed report and stops after IDLE_MS
 * without one, so that it costs no memory while nobody asks. If it dies, the reports it was
 * counting fail and the next one starts a new worker.
 */
import type { Worker } from "node:worker_threads";
import type { CountsWindow, ReportFilters } from "./report";
import { startWorker } from "./worker-entry";

/** What the worker gets. */
export interface ReportWorkerData {
  /** The store's SQLite file (it must exist). */
  file: string;
}

export type ToReportWorker =
  { type: "count"; id: number; filters: ReportFilters } | { type: "close" };

export type FromReportWorker =
  | { type: "ready" }
  | { type: "answer"; id: number; total: number; counts: [string, number][] }
  | { type: "error"; id: number; error: string };

/** What a window counts to. */
export interface WindowAnswer {
  total: number;
  counts: [string, number][];
}

/** How long the worker is kept without a report to count. */
export const IDLE_MS = 30_000;
/** How long stop() waits for the worker to close its connection before ending it. */
const STOP_MS = 5_000;

interface Pending {
  resolve: (answer: WindowAnswer) => void;
  reject: (err: Error) => void;
}

/** A worker with the reports it was asked for and has not answered yet. */
interface Running {
  worker: Worker;
  pending: Map<number, Pending>;
  exited: Promise<void>;
}

export class ReportThread {
  private current: Running | undefined;
  /** Every count asked for and not settled, on any worker (stop waits for them). */
  private readonly inFlight = new Set<Promise<WindowAnswer>>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Workers not yet exited: the current one and any still closing (stop waits for them). */
  private readonly alive = new Set<Promise<void>>();
  /** Workers started so far (one per busy spell; more after a crash). */
  starts = 0;

  constructor(
    private readonly file: string,
    private readonly idleMs = IDLE_MS,
  ) {}

  /** Counts a window's report in the worker; rejects if the worker fails or is stopped. */
  count(filters: ReportFilters & CountsWindow): Promise<WindowAnswer> {
    if (this.stopped) return Promise.reject(new Error("The report thread is stopped."));
    clearTimeout(this.idleTimer);
    const running = this.current ?? this.start();
    const id = this.nextId++;
    const answer = new Promise<WindowAnswer>((resolve, reject) => {
      running.pending.set(id, { resolve, reject });
      running.worker.postMessage({ type: "count", id, filters } satisfies ToReportWorker);
    });
    this.inFlight.add(answer);
    const settled = (): void => {
      this.inFlight.delete(answer);
      if (this.inFlight.size === 0 && !this.stopped) this.idleSoon();
    };
    answer.then(settled, settled);
    return answer;
  }

  /** Whether a worker takes counts now. */
  get running(): boolean {
    return this.current !== undefined;
  }

  /** Worker threads that have not exited yet (one closing after idle time counts). */
  get threads(): number {
    return this.alive.size;
  }

  /** Lets the reports being counted finish, then closes the worker's connection and ends it. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.idleTimer);
    await Promise.allSettled([...this.inFlight]);
    await this.close();
    // A worker that began closing after idle time before stop() may still hold its connection.
    await Promise.all([...this.alive]);
  }

  /** Ends the worker at once, as a crash would (for tests). */
  async kill(): Promise<void> {
    await this.current?.worker.terminate();
  }

  private start(): Running {
    const worker = startWorker("report-worker", {
      workerData: { file: this.file } satisfies ReportWorkerData,
    });
    const pending = new Map<number, Pending>();
    this.starts++;
    worker.on("message", (message: FromReportWorker) => {
      if (message.type === "ready") return;
      const p = pending.get(message.id);
      if (p === undefined) return;
      pending.delete(message.id);
      if (message.type === "answer") p.resolve({ total: message.total, counts: message.counts });
      else p.reject(new Error(message.error));
    });
    // An 'error' event (an uncaught error in the worker: the file cannot be opened, say) is
    // followed by 'exit', which fails what was pending with it as the reason.
    let failure: Error | undefined;
    worker.on("error", (err: unknown) => {
      failure = err instanceof Error ? err : new Error(JSON.stringify(err));
    });
    const exited = new Promise<void>(resolve =>
      worker.once("exit", code => {
        if (this.current?.worker === worker) this.current = undefined;
        const why = failure === undefined ? "" : `: ${failure.message}`;
        for (const p of pending.values())
          p.reject(
            new Error(`The report thread exited (code ${code}) before it answered${why}`, {
              cause: failure,
            }),
          );
        pending.clear();
        this.alive.delete(exited);
        resolve();
      }),
    );
    this.alive.add(exited);
    this.current = { worker, pending, exited };
    return this.current;
  }

  private idleSoon(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.inFlight.size === 0) void this.close();
    }, this.idleMs);
    this.idleTimer.unref();
  }

  /** Closes the current worker's connection and waits until it ended. */
  private async close(): Promise<void> {
    const running = this.current;
    if (running === undefined) return;
    this.current = undefined;
    running.worker.postMessage({ type: "close" } satisfies ToReportWorker);
    const timer = setTimeout(() => void running.worker.terminate(), STOP_MS);
    await running.exited;
    clearTimeout(timer);
  }
}
