/**
 * userstats: consumes user events from Kafka into SQLite (one transaction per batch, offsets
 * committed after it), answers stats reports, and emails (or logs) a report on a schedule.
 */
import path from "node:path";
import type { Admin, Producer } from "kafkajs";
import { Partitioners } from "kafkajs";
import type { Context, Service, ServiceSchema } from "moleculer";
import schedule from "node-schedule";
import {
  startBatchConsumer,
  type InvalidRecord,
  type RunningConsumer,
} from "../lib/batch-consumer";
import { loadConfig, type Config } from "../lib/config";
import { check, kafkaCheck, type CheckResult } from "../lib/health";
import { createKafka, ensureTopic } from "../lib/kafka";
import { createMailer, type Delivery, type Mailer } from "../lib/mailer";
import { createNormalizer } from "../lib/normalize";
import {
  buildReport,
  renderReportText,
  reportSubject,
  reportToCsv,
  type Report,
} from "../lib/report";
import { parseReportQuery } from "../lib/report-query";
import { retryUntil } from "../lib/retry";
import { UserStatsStore } from "../lib/stats-store";
import { userEventCodec } from "../lib/user-event";

export interface SendReportResult {
  delivery: Delivery;
  report: Report;
}

interface UserStatsState {
  store: UserStatsStore;
  admin: Admin;
  healthAdmin: Admin;
  dlqProducer: Producer;
  consumer: RunningConsumer;
  mailer: Mailer;
  job: schedule.Job | null;
  /** Reports being sent now (awaited on stop). */
  sending: Set<Promise<unknown>>;
  shutdown: Promise<void> | undefined;
}

interface UserStatsMethods {
  sendReportNow(this: UserStatsThis, trigger: string): Promise<SendReportResult>;
  deadLetter(this: UserStatsThis, records: InvalidRecord[]): Promise<void>;
}

export type UserStatsThis = Service & UserStatsState & UserStatsMethods;

interface UserStatsSettings {
  $secureSettings: string[];
  smtpUrl?: string;
}

/** Name of the dead-letter topic of a topic. */
export const dlqTopic = (topic: string): string => `${topic}.dlq`;

/** The userstats service for the given configuration. */
export function createUserStatsService(config: Readonly<Config>): ServiceSchema {
  const schema: ServiceSchema<UserStatsSettings, UserStatsThis> = {
    name: "userstats",
    settings: {
      // Never broadcast to other nodes: SMTP_URL may carry a password.
      $secureSettings: ["smtpUrl"],
      smtpUrl: config.report.smtpUrl,
    },

    actions: {
      /**
       * Distinct users per city ("City, ST"), state or country, biggest first; optionally the top N,
       * within a time window (from/to, inclusive, on the events' datetime), as JSON or CSV.
       */
      report: {
        params: { $$strict: false },
        handler(
          this: UserStatsThis,
          ctx: Context<Record<string, unknown>, Record<string, unknown>>,
        ): Report | string {
          const { format, ...filters } = parseReportQuery(ctx.params);
          const report = buildReport(this.store, filters);
          if (format === "json") return report;
          ctx.meta.$responseType = "text/csv; charset=utf-8";
          ctx.meta.$responseHeaders = {
            "Content-Disposition": `inline; filename="report-${filters.by}.csv"`,
          };
          return reportToCsv(report);
        },
      },

      /** Builds the report now and emails it (or logs it without SMTP). */
      sendReport: {
        handler(this: UserStatsThis): Promise<SendReportResult> {
          return this.sendReportNow("request");
        },
      },

      /** Whether this node reaches Kafka and SQLite, and its consumer runs. */
      health: {
        async handler(this: UserStatsThis): Promise<Record<string, CheckResult>> {
          const consumerStatus = this.consumer.status();
          const [kafka, sqlite] = await Promise.all([
            check(() => kafkaCheck(this.healthAdmin)),
            check(() => this.store.ping()),
          ]);
          const consumer: CheckResult = {
            ok: consumerStatus.state === "running",
            ms: 0,
            state: consumerStatus.state,
            ...(consumerStatus.lastError !== undefined ? { error: consumerStatus.lastError } : {}),
          };
          return { kafka, sqlite, consumer };
        },
      },

      /** Consumer counters for dashboards and benchmarks. */
      stats: {
        handler(this: UserStatsThis) {
          return { ...this.consumer.status(), total: this.store.total() };
        },
      },
    },

    methods: {
      async sendReportNow(this: UserStatsThis, trigger: string): Promise<SendReportResult> {
        const report = buildReport(this.store, { by: "city" });
        const task = this.mailer.deliver({
          subject: reportSubject(report),
          text: renderReportText(report),
        });
        this.sending.add(task);
        try {
          const delivery = await task;
          this.logger.info("Report delivered.", {
            trigger,
            via: delivery.via,
            total: report.total,
          });
          return { delivery, report };
        } finally {
          this.sending.delete(task);
        }
      },

      async deadLetter(this: UserStatsThis, records: InvalidRecord[]): Promise<void> {
        const at = new Date().toISOString();
        await this.dlqProducer.send({
          topic: dlqTopic(config.kafka.topic),
          acks: -1,
          messages: records.map(r => ({
            key: r.message.key,
            value: r.message.value,
            headers: {
              ...r.message.headers,
              "dlq-reason": r.error.message,
              "dlq-details": JSON.stringify((r.error as { data?: unknown }).data ?? null),
              "dlq-source-topic": r.topic,
              "dlq-source-partition": String(r.partition),
              "dlq-source-offset": r.offset,
              "dlq-at": at,
            },
          })),
        });
        this.logger.warn(`Sent ${records.length} invalid record(s) to the dead-letter topic.`, {
          topic: dlqTopic(config.kafka.topic),
          first: {
            partition: records[0]?.partition,
            offset: records[0]?.offset,
            reason: records[0]?.error.message,
          },
        });
      },
    },

    created(this: UserStatsThis) {
      this.sending = new Set();
      this.job = null;
    },

    async started(this: UserStatsThis) {
      const log = this.logger;
      const file = path.join(config.dataDir, "userstats.sqlite");
      const normalizer = createNormalizer();
      this.store = await retryUntil(() => Promise.resolve(new UserStatsStore(file, normalizer)), {
        what: `SQLite file ${file}`,
        timeoutMs: config.startupTimeoutMs,
        log,
      });

      const kafka = createKafka({
        brokers: config.kafka.brokers,
        clientId: `${config.kafka.clientId}-userstats`,
        log,
      });
      this.admin = kafka.admin();
      this.healthAdmin = kafka.admin({ retry: { retries: 0 } });
      this.dlqProducer = kafka.producer({
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await retryUntil(
        async () => {
          await this.admin.connect();
          await ensureTopic(this.admin, config.kafka.topic, config.kafka.partitions);
          await ensureTopic(this.admin, dlqTopic(config.kafka.topic), 1);
          await this.dlqProducer.connect();
        },
        {
          what: `Kafka at ${config.kafka.brokers.join(",")}`,
          timeoutMs: config.startupTimeoutMs,
          log,
        },
      );
      await this.healthAdmin.connect();

      this.consumer = await startBatchConsumer({
        kafka,
        groupId: config.kafka.groupId,
        topic: config.kafka.topic,
        decode: userEventCodec.decode,
        handle: events => {
          this.store.write(events);
        },
        onInvalid: records => this.deadLetter(records),
        log,
      });

      this.mailer = createMailer({
        smtpUrl: (this.settings as UserStatsSettings).smtpUrl,
        from: config.report.from,
        to: config.report.to,
        log,
      });
      this.job = schedule.scheduleJob(config.report.cron, () => {
        this.sendReportNow("schedule").catch((err: unknown) => {
          log.error("Scheduled report failed.", {
            error: err instanceof Error ? err.message : String(err),
          });
        });
      });
      if (this.job === null)
        throw new Error(`REPORT_CRON "${config.report.cron}" is not a valid cron expression`);
      log.info("userstats is ready.", {
        topic: config.kafka.topic,
        group: config.kafka.groupId,
        reportCron: config.report.cron,
        delivery: config.report.smtpUrl === undefined ? "log" : "smtp",
        nextReport: this.job.nextInvocation()?.toISOString(),
      });
    },

    stopped(this: UserStatsThis) {
      // A second SIGINT/SIGTERM calls stopped() again: it waits for the first shutdown.
      this.shutdown ??= (async () => {
        // Reverse order of started(): schedule, reports in flight, consumer (batch done, offsets
        // committed), producer, admin clients, database.
        this.job?.cancel();
        await Promise.allSettled([...this.sending]);
        this.mailer?.close();
        await this.consumer?.stop();
        await this.dlqProducer?.disconnect();
        await this.healthAdmin?.disconnect();
        await this.admin?.disconnect();
        this.store?.close();
        this.logger.info("userstats stopped cleanly.");
      })();
      return this.shutdown;
    },
  };
  // The schema is typed with its own `this`; moleculer takes the plain schema type.
  return schema as unknown as ServiceSchema;
}

export default createUserStatsService(loadConfig());
