/**
 * userevents: turns submit requests into user events and produces them to Kafka.
 * `submit` answers at once with a job id; the job generates and produces its events in bounded
 * chunks in a worker thread (lib/job-thread.ts), and its progress is stored so it resumes after a
 * restart.
 */
import type { Context, Service, ServiceSchema } from "moleculer";
import { BatchingProducer } from "../lib/batching-producer";
import { loadConfig, type Config } from "../lib/config";
import { parseCount } from "../lib/count-param";
import { DependencyUnavailableError, JobNotFoundError, ShuttingDownError } from "../lib/errors";
import { jobSeed } from "../lib/generator";
import { check, kafkaCheck, type CheckResult } from "../lib/health";
import { ingestArray, ingestJsonText, ingestNdjson, type Rejection } from "../lib/ingest";
import { JobStore, publicJob, type Job } from "../lib/job-store";
import { JobThread, jobStoreFile } from "../lib/job-thread";
import { connectKafka, type KafkaConnection } from "../lib/kafka";
import { retryUntil } from "../lib/retry";
import { runShutdown } from "../lib/shutdown";
import { userEventCodec } from "../lib/user-event";

export interface SubmitParams {
  n: number | string;
}

export interface SubmitResult {
  accepted: number;
  jobId: string;
}

export interface IngestParams {
  /** A JSON body as text (must be an array of events). */
  json?: string;
  /** An already parsed array of events (RPC callers). */
  events?: unknown;
  /** An NDJSON body, one event per line. */
  ndjson?: string;
}

export interface IngestAnswer {
  accepted: number;
  /** The first REJECTIONS_LISTED rejected events. */
  rejected: Rejection[];
  rejectedCount: number;
}

interface UserEventsState {
  store: JobStore;
  kafka: KafkaConnection;
  /** Produces what `ingest` takes; jobs produce from their own thread. */
  batching: BatchingProducer;
  jobs: JobThread;
  /** Events Kafka acknowledged since start: ingested ones and those of jobs. */
  produced(): number;
  stopping: boolean;
  shutdown: Promise<void> | undefined;
}

export type UserEventsThis = Service & UserEventsState;

/** The userevents service for the given configuration. */
export function createUserEventsService(config: Readonly<Config>): ServiceSchema {
  const schema: ServiceSchema<Record<string, never>, UserEventsThis> = {
    name: "userevents",

    actions: {
      /** Accepts a job of n generated user events; answers before producing them. */
      submit: {
        params: { $$strict: true, n: { type: "any" } },
        handler(this: UserEventsThis, ctx: Context<SubmitParams>): SubmitResult {
          if (this.stopping) throw new ShuttingDownError("userevents");
          const n = parseCount(ctx.params.n, config.submit.max);
          // The job id is the request's id: a request RabbitMQ delivers again (its first node died
          // before answering) finds its job instead of making a second one.
          const job = this.store.create(n, seq => jobSeed(config.generator.seed, seq), ctx.id);
          this.jobs.run(job.id);
          this.logger.debug("Submit job accepted.", { jobId: job.id, n });
          return { accepted: n, jobId: job.id };
        },
      },

      /**
       * Bring-your-own events: validates each event on its own, produces the valid ones (answering
       * once Kafka acknowledged them) and lists the invalid ones, which are stored nowhere.
       */
      ingest: {
        params: { $$strict: false },
        async handler(this: UserEventsThis, ctx: Context<IngestParams>): Promise<IngestAnswer> {
          if (this.stopping) throw new ShuttingDownError("userevents");
          const { events, rejected, rejectedCount } =
            typeof ctx.params.ndjson === "string"
              ? ingestNdjson(ctx.params.ndjson)
              : typeof ctx.params.json === "string"
                ? ingestJsonText(ctx.params.json)
                : ingestArray(ctx.params.events);
          try {
            await this.batching.send(
              events.map(e => ({ key: userEventCodec.key(e), value: userEventCodec.encode(e) })),
            );
          } catch (err) {
            throw new DependencyUnavailableError(
              "Kafka",
              err instanceof Error ? err.message : String(err),
            );
          }
          return { accepted: events.length, rejected, rejectedCount };
        },
      },

      /** The state and progress of a submit job. */
      job: {
        params: { $$strict: true, id: { type: "string", min: 1, max: 100 } },
        handler(this: UserEventsThis, ctx: Context<{ id: string }>): Job {
          // Job ids are lower-case UUIDs: one written in capitals names the same job.
          const job = this.store.get(ctx.params.id) ?? this.store.get(ctx.params.id.toLowerCase());
          if (job === undefined) throw new JobNotFoundError(ctx.params.id);
          return publicJob(job);
        },
      },

      /** Whether this node reaches Kafka and its SQLite file, and its jobs' thread runs. */
      health: {
        async handler(this: UserEventsThis): Promise<Record<string, CheckResult>> {
          const [kafka, sqlite, jobs] = await Promise.all([
            check(() => kafkaCheck(this.kafka.healthAdmin)),
            check(() => this.store.ping()),
            check(() => {
              if (!this.jobs.running) throw new Error("the jobs' worker thread is restarting");
            }),
          ]);
          return { kafka, sqlite, jobs };
        },
      },

      /** What the dashboard shows of this side: events produced since start, and recent jobs. */
      dashboard: {
        handler(this: UserEventsThis): { produced: number; jobs: Job[] } {
          return {
            produced: this.produced(),
            jobs: this.store.recent(10).map(publicJob),
          };
        },
      },

      /** Counters for benchmarks. */
      stats: {
        handler(this: UserEventsThis) {
          return {
            runningJobs: this.store.running().length,
            eventsProduced: this.produced(),
            produceRequests: this.batching.requests + this.jobs.produceRequests,
            memory: process.memoryUsage(),
          };
        },
      },
    },

    methods: {
      produced(this: UserEventsThis): number {
        return this.batching.produced + this.jobs.eventsProduced;
      },
    },

    created(this: UserEventsThis) {
      this.stopping = false;
    },

    async started(this: UserEventsThis) {
      const log = this.logger;
      const file = jobStoreFile(config);
      this.store = await retryUntil(() => Promise.resolve(new JobStore(file)), {
        what: `SQLite file ${file}`,
        timeoutMs: config.startupTimeoutMs,
        log,
      });
      this.kafka = await connectKafka({
        brokers: config.kafka.brokers,
        clientId: `${config.kafka.clientId}-userevents`,
        topics: [{ topic: config.kafka.topic, partitions: config.kafka.partitions }],
        timeoutMs: config.startupTimeoutMs,
        log,
      });
      this.batching = new BatchingProducer(this.kafka.producer, { topic: config.kafka.topic });
      this.jobs = new JobThread(config, log);
      const { resumedJobs } = await this.jobs.start();
      log.info("userevents is ready.", {
        topic: config.kafka.topic,
        resumedJobs,
      });
    },

    stopped(this: UserEventsThis) {
      // A second SIGINT/SIGTERM calls stopped() again: it waits for the first shutdown.
      this.shutdown ??= (async () => {
        this.stopping = true;
        // Reverse order of started(): jobs finish their chunk, the producer flushes, then disconnect.
        await runShutdown([
          ["jobs", () => this.jobs?.stop()],
          ["producer", () => this.batching?.close()],
          ["kafka", () => this.kafka?.close()],
          ["database", () => this.store?.close()],
        ]);
        this.logger.info("userevents stopped cleanly.");
      })();
      return this.shutdown;
    },
  };
  // The schema is typed with its own `this`; moleculer takes the plain schema type.
  return schema as unknown as ServiceSchema;
}

export default createUserEventsService(loadConfig());
