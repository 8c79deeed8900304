/**
 * The worker thread that runs userevents' submit jobs (started by lib/job-thread.ts): its own
 * connection to the jobs' SQLite file, its own Kafka producer, the generator and a JobRunner. Jobs
 * are handed over by id; at start it resumes every unfinished job from its stored progress.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { Message } from "kafkajs";
import { BatchingProducer } from "./batching-producer";
import { createUserEventGenerator } from "./generator";
import {
  JOB_RETENTION_MS,
  PRUNE_EVERY_MS,
  jobEventBudget,
  jobStoreFile,
  type FromJobWorker,
  type JobWorkerData,
  type ToJobWorker,
} from "./job-thread";
import { JobRunner } from "./job-runner";
import { JobStore } from "./job-store";
import { connectKafka } from "./kafka";
import type { Log } from "./log";
import { usPlaces } from "./places";
import { runShutdown } from "./shutdown";
import { userEventCodec } from "./user-event";

function post(message: FromJobWorker): void {
  try {
    parentPort?.postMessage(message);
  } catch {
    // Log data that cannot be cloned (a kafkajs object, say) goes as JSON instead.
    if (message.type === "log")
      parentPort?.postMessage({
        ...message,
        data: JSON.parse(JSON.stringify(message.data ?? null)) as unknown,
      });
  }
}

const log: Log = {
  debug: (message, data) => post({ type: "log", level: "debug", message, data }),
  info: (message, data) => post({ type: "log", level: "info", message, data }),
  warn: (message, data) => post({ type: "log", level: "warn", message, data }),
  error: (message, data) => post({ type: "log", level: "error", message, data }),
};

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error("lib/job-worker runs as a worker thread only");
  const { config, counters } = workerData as JobWorkerData;
  const store = new JobStore(jobStoreFile(config));

  let started: { runner: JobRunner<Message>; shutdown: () => Promise<void> } | undefined =
    undefined;
  let stopping: Promise<void> | undefined;
  // Listening before Kafka answers: a stop that comes while this thread still waits for Kafka ends
  // it at once, instead of after the start-up timeout.
  port.on("message", (message: ToJobWorker) => {
    if (message.type === "run") {
      // Before it is started, the thread resumes every running job from the store anyway; once
      // it stops, the store may be closed.
      if (started === undefined || stopping !== undefined) return;
      const job = store.get(message.jobId);
      if (job?.state === "running") started.runner.start(job);
      return;
    }
    stopping ??= (async () => {
      if (started === undefined) {
        // Nothing runs yet: the Kafka connection in progress ends with the thread.
        let failed: string | undefined;
        try {
          store.close();
        } catch (err) {
          failed = err instanceof Error ? err.message : String(err);
        }
        post({ type: "stopped", failed });
        return;
      }
      let failed: string | undefined;
      try {
        await started.shutdown();
      } catch (err) {
        failed = err instanceof Error ? err.message : String(err);
      }
      // The main thread ends this thread once it has the message.
      post({ type: "stopped", failed });
    })();
  });

  const kafka = await connectKafka({
    brokers: config.kafka.brokers,
    clientId: `${config.kafka.clientId}-userevents-jobs`,
    topics: [],
    timeoutMs: config.startupTimeoutMs,
    log,
  });
  if (stopping !== undefined) {
    await kafka.close();
    return;
  }
  const batching = new BatchingProducer(kafka.producer, { topic: config.kafka.topic });
  const generator = createUserEventGenerator(usPlaces(), {
    dirtyShare: config.generator.dirtyShare,
  });
  let requestsCounted = 0;
  const runner = new JobRunner<Message>({
    store,
    chunkSize: config.submit.chunkSize,
    maxBufferedEvents: jobEventBudget(config.submit.chunkSize),
    makeMessages: (job, start, count) =>
      generator
        .generate(job.seed, start, count)
        .map(e => ({ key: userEventCodec.key(e), value: userEventCodec.encode(e) })),
    send: async messages => {
      await batching.send(messages);
      Atomics.add(counters, 0, BigInt(messages.length));
      // The counters outlive this worker (a restarted one adds to them): add what is new.
      Atomics.add(counters, 1, BigInt(batching.requests - requestsCounted));
      requestsCounted = batching.requests;
    },
    log,
  });

  // Finished jobs are kept for a day (GET /jobs/:id), then deleted: at start, and every hour.
  let pruning: Promise<void> | undefined;
  const pruneOld = (): void => {
    pruning ??= store
      .pruneAll(new Date(Date.now() - JOB_RETENTION_MS), () => stopping !== undefined)
      .then(
        n => {
          if (n > 0) log.info(`Deleted ${n} finished jobs older than a day.`);
        },
        (err: unknown) =>
          log.warn("Old jobs could not be deleted.", {
            error: err instanceof Error ? err.message : String(err),
          }),
      )
      .finally(() => {
        pruning = undefined;
      });
  };
  const pruneTimer = setInterval(pruneOld, PRUNE_EVERY_MS);
  // Jobs finish the chunk in flight, the producer flushes, then Kafka and SQLite are closed.
  started = {
    runner,
    shutdown: () => {
      clearInterval(pruneTimer);
      return runShutdown([
        ["pruning", () => pruning],
        ["jobs", () => runner.stop()],
        ["producer", () => batching.close()],
        ["kafka", () => kafka.close()],
        ["database", () => store.close()],
      ]);
    },
  };

  const unfinished = store.running();
  for (const job of unfinished) runner.start(job);
  post({ type: "ready", resumedJobs: unfinished.length });
  pruneOld();
}

main().catch((err: unknown) => {
  post({ type: "failed", error: err instanceof Error ? err.message : String(err) });
  // Ends this thread only.
  process.exit(1);
});
