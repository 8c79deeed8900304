/**
 * userstats: consumes user events from Kafka into SQLite (one transaction per batch, offsets
 * committed after it), answers stats reports, and sends a report on a schedule through an outbox
 * (stored first, emailed or logged, retried with backoff until delivered).
 */
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { Errors, type Context, type Service, type ServiceSchema } from "moleculer";
import schedule from "node-schedule";
import {
  alignGroupWithStore,
  startBatchConsumer,
  type InvalidRecord,
  type RunningConsumer,
} from "../lib/batch-consumer";
import { loadConfig, type Config } from "../lib/config";
import { BuiltReports } from "../lib/built-reports";
import { deadLetterMessages, dlqTopic, inSends } from "../lib/dead-letter";
import { check, kafkaCheck, withTimeout, type CheckResult } from "../lib/health";
import {
  oneOfParam,
  parseOptionalWholeNumber,
  parseWholeNumber,
  wholeNumberParam,
} from "../lib/count-param";
import { ReportNotSentError } from "../lib/errors";
import { connectKafka, consumerLag, type KafkaConnection } from "../lib/kafka";
import { createMailer, type Mailer } from "../lib/mailer";
import { createNormalizer } from "../lib/normalize";
import { ReportOutbox, type ReportRecord, type StoredReport } from "../lib/outbox";
import { buildReport, isWindowed, reportOf, reportToCsv, topOf, type Report } from "../lib/report";
import { ReportThread } from "../lib/report-thread";
import { parseReportQuery } from "../lib/report-query";
import { retryUntil } from "../lib/retry";
import { runShutdown } from "../lib/shutdown";
import { CSP } from "../lib/security-headers";
import { UserStatsStore } from "../lib/stats-store";
import { userEventCodec } from "../lib/user-event";

/** Report ids (and `before`): whole numbers from 1 up to the largest exact one. */
const ID = { min: 1, max: Number.MAX_SAFE_INTEGER };
/** Page sizes of the report history. */
const LIMIT = { min: 1, max: 200 };

/** What POST /report/send answers. */
export interface SendReportResult extends ReportRecord {
  delivery?: { via: "smtp" | "log"; to: string[]; messageId: string };
  report: Report;
}

export interface StatsDashboard {
  total: number;
  topCities: [string, number][];
  consumed: number;
  lag: number | null;
  reports: ReportRecord[];
}

interface UserStatsState {
  store: UserStatsStore;
  /** Its producer sends to the dead-letter topic. */
  kafka: KafkaConnection;
  consumer: RunningConsumer;
  mailer: Mailer;
  outbox: ReportOutbox;
  job: schedule.Job | null;
  lagCache: { at: number; value: number | null } | undefined;
  /** The lag question under way, which callers meanwhile share. */
  lagAsked: Promise<number | null> | undefined;
  /** Reports as JSON text, rebuilt only when the store changed (lib/built-reports.ts). */
  builtReports: BuiltReports;
  /** Counts reports over a time window off the service's thread (lib/report-thread.ts). */
  reportThread: ReportThread;
  shutdown: Promise<void> | undefined;
  changeTimer: NodeJS.Timeout | undefined;
}

interface UserStatsMethods {
  sendReportNow(
    this: UserStatsThis,
    trigger: string,
    requestId?: string,
  ): Promise<SendReportResult>;
  deadLetter(this: UserStatsThis, records: InvalidRecord[]): Promise<void>;
  lag(this: UserStatsThis): Promise<number | null>;
  announceChange(this: UserStatsThis): void;
}

export type UserStatsThis = Service & UserStatsState & UserStatsMethods;

interface UserStatsSettings {
  $secureSettings: string[];
  smtpUrl?: string;
}

/** How long a report sent on request waits for the mail server before the answer says "pending". */
const SEND_WAIT_MS = (config: Config): number =>
  Math.min(5000, Math.floor(config.moleculer.requestTimeoutMs / 2));

/** No report with that id in the history. */
export class ReportNotFoundError extends Errors.MoleculerClientError {
  constructor(id: unknown) {
    super(`No report with id ${JSON.stringify(id)}`, 404, "REPORT_NOT_FOUND", { id });
    this.name = "ReportNotFoundError";
  }
}

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
        async handler(
          this: UserStatsThis,
          ctx: Context<Record<string, unknown>, Record<string, unknown>>,
        ): Promise<Report | string> {
          const { format, ...filters } = parseReportQuery(ctx.params);
          if (format === "json" && ctx.meta.jsonText === true) {
            // The gateway takes the report as JSON text: reports are served from a cache of their
            // serialised counts, rebuilt only when the store changed (docs/DECISIONS.md).
            ctx.meta.$responseType = "application/json; charset=utf-8";
            const have = typeof ctx.meta.reportHave === "number" ? ctx.meta.reportHave : undefined;
            const { json, version, freshForMs } = await this.builtReports.get(filters, have);
            // The version of what this answer holds, which may be older than the store's: a gateway
            // must not keep it as current once it heard of a newer version, except for the time
            // this same build would be answered anyway (lib/report-cache.ts).
            ctx.meta.reportVersion = version;
            ctx.meta.reportFreshForMs = freshForMs;
            ctx.meta.reportNotModified = json === undefined;
            return json ?? "";
          }
          // A window is counted off this thread (its scan would hold up the consumer's batches).
          const report = isWindowed(filters)
            ? await this.reportThread
                .count(filters)
                .then(({ total, counts }) => reportOf(filters, total, counts))
            : buildReport(this.store, filters);
          if (format === "json") return report;
          ctx.meta.$responseType = "text/csv; charset=utf-8";
          ctx.meta.$responseHeaders = {
            "Content-Disposition": `inline; filename="report-${filters.by}.csv"`,
          };
          return reportToCsv(report);
        },
      },

      /** Builds the report now, stores it in the outbox and tries to send it at once. */
      sendReport: {
        // It takes no parameter: one given (?to=someone) is refused rather than silently ignored.
        params: { $$strict: true },
        async handler(this: UserStatsThis, ctx: Context): Promise<SendReportResult> {
          // The request's id: a request RabbitMQ delivers again answers with the report stored for
          // it the first time, which is then sent once, instead of storing and sending a second.
          const result = await this.sendReportNow("request", ctx.id);
          if (result.status === "failed") throw new ReportNotSentError(result);
          return result;
        },
      },

      /** The report history, newest first, with send status. */
      reports: {
        // Whole numbers in plain digits (lib/count-param.ts), not whatever Number() makes of them.
        params: {
          $$strict: true,
          limit: wholeNumberParam({ field: "limit", ...LIMIT }, { optional: true }),
          before: wholeNumberParam({ field: "before", ...ID }, { optional: true }),
        },
        handler(this: UserStatsThis, ctx: Context<{ limit?: unknown; before?: unknown }>) {
          const limit =
            parseOptionalWholeNumber(ctx.params.limit, { field: "limit", ...LIMIT }) ?? 20;
          const before = parseOptionalWholeNumber(ctx.params.before, { field: "before", ...ID });
          // One more than asked tells whether a next page exists: no link to an empty page.
          const page = this.outbox.list(limit + 1, before);
          const reports = page.slice(0, limit);
          const last = reports.at(-1);
          return {
            reports,
            next:
              page.length > limit && last !== undefined
                ? `/reports?before=${last.id}&limit=${limit}`
                : null,
          };
        },
      },

      /** One stored report; format=html shows it as the email does, format=csv is its attachment. */
      getReport: {
        params: {
          $$strict: true,
          id: wholeNumberParam({ field: "id", ...ID }),
          format: oneOfParam("format", ["json", "html", "csv"]),
        },
        handler(
          this: UserStatsThis,
          ctx: Context<
            { id: unknown; format?: "json" | "html" | "csv" | "" },
            Record<string, unknown>
          >,
        ): StoredReport | string {
          const id = parseWholeNumber(ctx.params.id, { field: "id", ...ID });
          const stored = this.outbox.get(id);
          if (stored === undefined) throw new ReportNotFoundError(id);
          if (ctx.params.format === "html") {
            ctx.meta.$responseType = "text/html; charset=utf-8";
            // The email's own inline styles, and nothing else (it shows user data).
            ctx.meta.$responseHeaders = { "Content-Security-Policy": CSP.email };
            return stored.html;
          }
          if (ctx.params.format === "csv") {
            const attachment = this.outbox.attachment(stored.id);
            ctx.meta.$responseType = "text/csv; charset=utf-8";
            // Saved under the name the email gives it.
            ctx.meta.$responseHeaders = {
              "Content-Disposition": `attachment; filename="${attachment?.filename ?? `report-${stored.id}.csv`}"`,
            };
            return attachment?.csv ?? "";
          }
          return stored;
        },
      },

      /** What the dashboard shows of this side. */
      dashboard: {
        async handler(this: UserStatsThis): Promise<StatsDashboard> {
          return {
            total: this.store.total(),
            topCities: this.store.counts("city", { top: 10 }),
            consumed: this.consumer.status().records,
            lag: await this.lag(),
            reports: this.outbox.list(5),
          };
        },
      },

      /** Whether this node reaches Kafka and SQLite, and its consumer runs. */
      health: {
        async handler(this: UserStatsThis): Promise<Record<string, CheckResult>> {
          const consumerStatus = this.consumer.status();
          const [kafka, sqlite] = await Promise.all([
            check(() => kafkaCheck(this.kafka.healthAdmin)),
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

      /** Consumer counters for benchmarks. */
      stats: {
        handler(this: UserStatsThis) {
          return {
            ...this.consumer.status(),
            total: this.store.total(),
            pendingReports: this.outbox.pendingCount(),
            memory: process.memoryUsage(),
          };
        },
      },
    },

    methods: {
      /**
       * Tells the gateways the counts changed (at most every 50 ms), so that their report cache
       * serves a report only while it is current.
       */
      announceChange(this: UserStatsThis): void {
        // Not once stopping began: the batch being drained would broadcast from a stopping broker.
        if (this.changeTimer !== undefined || this.shutdown !== undefined) return;
        this.changeTimer = setTimeout(() => {
          this.changeTimer = undefined;
          // With RabbitMQ balancing (disableBalancer), moleculer returns no promise at all when no
          // node listens (no gateway connected): that is no failure, and userstats goes on.
          const sent = this.broker.broadcast("userstats.changed", { version: this.store.version });
          Promise.resolve(sent).catch((err: unknown) =>
            this.logger.debug("Announcing a change failed.", { error: String(err) }),
          );
        }, 50);
      },

      async sendReportNow(
        this: UserStatsThis,
        trigger: string,
        requestId?: string,
      ): Promise<SendReportResult> {
        const stored = requestId === undefined ? undefined : this.outbox.byRequest(requestId);
        const report = stored?.report ?? buildReport(this.store, { by: "city" });
        const queued =
          stored !== undefined
            ? (this.outbox.record(stored.id) as ReportRecord)
            : this.outbox.enqueue(report, trigger, requestId);
        // Waits for the mail server well within the RPC timeout, then answers "pending" while the
        // attempt goes on: a slow mail server must not turn a stored report into a 503 that
        // invites the caller to store a second one.
        const waited = new AbortController();
        const record = await Promise.race([
          this.outbox.deliver(queued.id),
          delay(SEND_WAIT_MS(config), undefined, { signal: waited.signal, ref: false }).then(
            () => this.outbox.record(queued.id) ?? queued,
            () => queued,
          ),
        ]);
        waited.abort();
        this.logger.info("Report built.", {
          id: record.id,
          trigger,
          status: record.status,
          total: report.total,
        });
        const result: SendReportResult = { ...record, report: topOf(report, 50) };
        if (record.status === "sent" || record.status === "logged") {
          result.delivery = {
            via: record.status === "sent" ? "smtp" : "log",
            to: record.status === "sent" ? record.recipients : [],
            messageId: record.messageId,
          };
        }
        return result;
      },

      async deadLetter(this: UserStatsThis, records: InvalidRecord[]): Promise<void> {
        // In sends the broker takes (lib/dead-letter.ts), one after the other, in offset order.
        for (const messages of inSends(deadLetterMessages(records, new Date()))) {
          await this.kafka.producer.send({
            topic: dlqTopic(config.kafka.topic),
            acks: -1,
            messages,
          });
        }
        this.logger.warn(`Sent ${records.length} invalid record(s) to the dead-letter topic.`, {
          topic: dlqTopic(config.kafka.topic),
          first: {
            partition: records[0]?.partition,
            offset: records[0]?.offset,
            reason: records[0]?.error.message,
          },
        });
      },

      /**
       * Consumer lag, asked of Kafka at most once a second and once at a time (with Kafka down,
       * each dashboard poll would otherwise leave one more admin request waiting for its timeout).
       */
      lag(this: UserStatsThis): Promise<number | null> {
        if (this.lagCache !== undefined && Date.now() - this.lagCache.at < 1000)
          return Promise.resolve(this.lagCache.value);
        this.lagAsked ??= withTimeout(
          () => consumerLag(this.kafka.healthAdmin, config.kafka.groupId, config.kafka.topic),
          1500,
        )
          .catch(() => null)
          .then(value => {
            this.lagCache = { at: Date.now(), value };
            this.lagAsked = undefined;
            return value;
          });
        return this.lagAsked;
      },
    },

    created(this: UserStatsThis) {
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
      this.reportThread = new ReportThread(file);
      this.builtReports = new BuiltReports(this.store, undefined, filters =>
        this.reportThread.count(filters),
      );

      this.kafka = await connectKafka({
        brokers: config.kafka.brokers,
        clientId: `${config.kafka.clientId}-userstats`,
        topics: [
          { topic: config.kafka.topic, partitions: config.kafka.partitions },
          { topic: dlqTopic(config.kafka.topic), partitions: 1 },
        ],
        timeoutMs: config.startupTimeoutMs,
        log,
      });
      // The store, not Kafka, says what is stored: a group that went past it (the SQLite file was
      // lost) is moved back first. Moving a group needs its old members gone (a killed process's
      // session lasts 10 s), hence the retries.
      await retryUntil(
        () =>
          alignGroupWithStore(
            this.kafka.admin,
            config.kafka.groupId,
            config.kafka.topic,
            this.store.offsets,
            log,
          ),
        {
          what: `consumer group ${config.kafka.groupId} (free of old members, to align it with the store)`,
          timeoutMs: config.startupTimeoutMs,
          log,
        },
      );

      this.consumer = await startBatchConsumer({
        kafka: this.kafka.kafka,
        groupId: config.kafka.groupId,
        topic: config.kafka.topic,
        decode: userEventCodec.decode,
        handle: (events, position) => {
          const written = this.store.write(events, position);
          if (written.inserted > 0 || written.moved > 0) this.announceChange();
        },
        onInvalid: records => this.deadLetter(records),
        fetchMaxBytes: config.kafka.fetchMaxBytes,
        log,
      });

      this.mailer = createMailer({
        smtpUrl: (this.settings as UserStatsSettings).smtpUrl,
        from: config.report.from,
        to: config.report.to,
        log,
      });
      this.outbox = new ReportOutbox({
        db: this.store.db,
        mailer: this.mailer,
        recipients: config.report.smtpUrl === undefined ? [] : config.report.to,
        log,
        retryBaseMs: config.report.retryBaseMs,
        retryMaxMs: config.report.retryMaxMs,
        maxAttempts: config.report.maxAttempts,
        recleanings: () => this.store.recleanings(),
      });
      // Reports left pending by an earlier run are retried from here on.
      this.outbox.start(Math.min(5000, Math.max(100, Math.floor(config.report.retryBaseMs / 2))));
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
        pendingReports: this.outbox.pendingCount(),
      });
    },

    stopped(this: UserStatsThis) {
      // A second SIGINT/SIGTERM calls stopped() again: it waits for the first shutdown.
      this.shutdown ??= (async () => {
        // Reverse order of started(): schedule, outbox (sends under way), consumer (batch done,
        // offsets committed), producer, admin clients, database.
        this.job?.cancel();
        clearTimeout(this.changeTimer);
        await runShutdown([
          ["outbox", () => this.outbox?.stop()],
          ["mailer", () => this.mailer?.close()],
          ["consumer", () => this.consumer?.stop()],
          ["kafka", () => this.kafka?.close()],
          ["report thread", () => this.reportThread?.stop()],
          ["database", () => this.store?.close()],
        ]);
        this.logger.info("userstats stopped cleanly.");
      })();
      return this.shutdown;
    },
  };
  // The schema is typed with its own `this`; moleculer takes the plain schema type.
  return schema as unknown as ServiceSchema;
}

export default createUserStatsService(loadConfig());
