/**
 * The services' only reader of process.env. Parses every setting once into a typed, frozen object
 * and reports all bad variables together, so a misconfigured service fails at start with one clear
 * message. (The command-line tools under scripts/ also read a few of their own, e.g. REPLAY_URL and
 * RUN_DIR; the README lists them.)
 */
import { isIP } from "node:net";
import path from "node:path";
import cronParser from "cron-parser";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace";

export interface Config {
  http: {
    host: string;
    port: number;
    /** Largest accepted request body (POST /events), in bytes. */
    bodyLimitBytes: number;
    /** Requests to write endpoints per client per minute; 0 turns the limit off. */
    writeRateLimit: number;
    /** A request must be received within this many milliseconds (its headers within 20 s at most). */
    requestTimeoutMs: number;
    /** Origins allowed to call the API from a browser; empty: CORS off. */
    corsOrigins: string[];
  };
  moleculer: {
    namespace: string;
    amqpUrl: string;
    prefetch: number;
    requestTimeoutMs: number;
    logLevel: LogLevel;
  };
  kafka: {
    brokers: string[];
    clientId: string;
    topic: string;
    partitions: number;
    groupId: string;
    /** Most bytes one consumer fetch brings (bounds batch size and memory). */
    fetchMaxBytes: number;
  };
  dataDir: string;
  submit: {
    max: number;
    chunkSize: number;
  };
  generator: {
    /** Makes generated events reproducible; undefined means random. */
    seed: string | undefined;
    /** Share (0 to 1) of generated events whose address is made realistically messy. */
    dirtyShare: number;
  };
  report: {
    cron: string;
    smtpUrl: string | undefined;
    from: string;
    to: string[];
    /** First retry delay of a report that could not be sent; doubles with each attempt. */
    retryBaseMs: number;
    retryMaxMs: number;
    /** Attempts after which a refusal (SMTP 5xx) marks a report failed; other failures are retried. */
    maxAttempts: number;
  };
  startupTimeoutMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace"];

/** Parses the environment into a Config, throwing one ConfigError that lists every problem. */
export function loadConfig(env: Env = process.env): Readonly<Config> {
  const problems: string[] = [];
  const str = (name: string, fallback: string): string => {
    const v = env[name]?.trim();
    return v === undefined || v === "" ? fallback : v;
  };
  const optional = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === "" ? undefined : v;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = optional(name);
    if (raw === undefined) return fallback;
    if (!/^-?\d+$/.test(raw)) {
      problems.push(`${name} must be an integer, got "${raw}"`);
      return fallback;
    }
    const n = Number(raw);
    if (n < min || n > max) {
      problems.push(`${name} must be between ${min} and ${max}, got ${n}`);
      return fallback;
    }
    return n;
  };
  const fraction = (name: string, fallback: number): number => {
    const raw = optional(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!/^\d*\.?\d+$/.test(raw) || n < 0 || n > 1) {
      problems.push(`${name} must be a number from 0 to 1, got "${raw}"`);
      return fallback;
    }
    return n;
  };
  const url = (
    name: string,
    fallback: string | undefined,
    protocols: string[],
  ): string | undefined => {
    const raw = optional(name) ?? fallback;
    if (raw === undefined) return undefined;
    try {
      const u = new URL(raw);
      if (!protocols.includes(u.protocol)) {
        problems.push(`${name} must use ${protocols.join(" or ")}, got "${u.protocol}"`);
      }
    } catch {
      problems.push(`${name} is not a valid URL`);
    }
    return raw;
  };
  const list = (name: string, fallback: string): string[] =>
    str(name, fallback)
      .split(",")
      .map(s => s.trim())
      .filter(s => s !== "");

  const logLevel = str("LOG_LEVEL", "info") as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got "${logLevel}"`);
  }

  const brokers = list("KAFKA_BROKERS", "127.0.0.1:9092");
  for (const b of brokers) {
    const port = /^[^\s:]+:(\d{1,5})$/.exec(b)?.[1];
    if (port === undefined) problems.push(`KAFKA_BROKERS entry "${b}" is not host:port`);
    else if (Number(port) < 1 || Number(port) > 65535)
      problems.push(`KAFKA_BROKERS entry "${b}" has a port outside 1–65535`);
  }
  if (brokers.length === 0) problems.push("KAFKA_BROKERS must name at least one broker");

  const topic = str("USER_EVENTS_TOPIC", "user-events");
  if (!/^[a-zA-Z0-9._-]{1,200}$/.test(topic)) {
    problems.push(`USER_EVENTS_TOPIC "${topic}" is not a valid Kafka topic name`);
  }

  const cron = str("REPORT_CRON", "0 8 * * *");
  const cronFields = cron.split(/\s+/).length;
  if (cronFields < 5 || cronFields > 6) {
    problems.push(`REPORT_CRON must have 5 or 6 fields, got "${cron}"`);
  } else {
    // The parser node-schedule uses: what it refuses here, the schedule would refuse at start.
    try {
      cronParser.parseExpression(cron);
    } catch (err) {
      problems.push(
        `REPORT_CRON "${cron}" is not a valid cron expression: ${(err as Error).message}`,
      );
    }
  }

  const smtpUrl = url("SMTP_URL", undefined, ["smtp:", "smtps:"]);
  const to = list("REPORT_TO", "");
  if (smtpUrl !== undefined && to.length === 0) {
    problems.push("REPORT_TO must list at least one recipient when SMTP_URL is set");
  }
  for (const address of to) {
    if (!/^[^\s@<>]+@[^\s@<>]+$/.test(address))
      problems.push(`REPORT_TO entry "${address}" is not an email address`);
  }

  // "reports@example.com" or "Name <reports@example.com>": a sender the mail server would refuse is
  // better told at start than at the first scheduled report.
  const from = str("REPORT_FROM", "Event pipeline <reports@event-pipeline.local>");
  if (!/^(?:[^<>]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/.test(from))
    problems.push(`REPORT_FROM "${from}" is not an email address (or "Name <address>")`);

  // An origin as browsers send it: scheme and host (a port, a * wildcard), no path, no trailing
  // slash; otherwise it would never match and CORS would stay off in silence. "*" allows any;
  // "null" is the origin of file:// pages.
  const corsOrigins = list("CORS_ORIGINS", "");
  for (const origin of corsOrigins) {
    if (origin !== "*" && origin !== "null" && !/^[a-z][a-z0-9+.-]*:\/\/[^\s/?#]+$/.test(origin))
      problems.push(
        `CORS_ORIGINS entry "${origin}" is not an origin like https://app.example.com (scheme and host, no path)`,
      );
  }

  const config: Config = {
    http: {
      host: str("HTTP_HOST", "0.0.0.0"),
      port: int("HTTP_PORT", 8000, 1, 65535),
      // At most 64 MiB: a body crosses RabbitMQ as one message (escaped, ~15 % bigger), and
      // RabbitMQ 3 refuses messages over 128 MiB; POST /events takes 100,000 events at most anyway.
      bodyLimitBytes: int("HTTP_BODY_LIMIT_BYTES", 5 * 1024 * 1024, 1024, 64 * 1024 * 1024),
      writeRateLimit: int("RATE_LIMIT_WRITES_PER_MINUTE", 600, 0, 10_000_000),
      requestTimeoutMs: int("HTTP_REQUEST_TIMEOUT_MS", 60_000, 1000, 3_600_000),
      corsOrigins,
    },
    moleculer: {
      namespace: str("MOLECULER_NAMESPACE", "event-pipeline"),
      amqpUrl: url("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672", ["amqp:", "amqps:"]) ?? "",
      prefetch: int("AMQP_PREFETCH", 100, 1, 10_000),
      requestTimeoutMs: int("RPC_TIMEOUT_MS", 10_000, 100, 600_000),
      logLevel,
    },
    kafka: {
      brokers,
      clientId: str("KAFKA_CLIENT_ID", "event-pipeline"),
      topic,
      partitions: int("KAFKA_PARTITIONS", 3, 1, 1000),
      groupId: str("USERSTATS_GROUP", "userstats"),
      fetchMaxBytes: int("KAFKA_FETCH_MAX_BYTES", 2 * 1024 * 1024, 1024, 256 * 1024 * 1024),
    },
    dataDir: path.resolve(str("DATA_DIR", "./data")),
    submit: {
      max: int("SUBMIT_MAX", 1_000_000, 1, 1_000_000_000),
      chunkSize: int("PRODUCE_CHUNK", 500, 1, 100_000),
    },
    generator: { seed: optional("SEED"), dirtyShare: fraction("GENERATOR_DIRTY_SHARE", 0.1) },
    report: {
      cron,
      smtpUrl,
      from,
      to,
      retryBaseMs: int("REPORT_RETRY_BASE_MS", 30_000, 10, 3_600_000),
      retryMaxMs: int("REPORT_RETRY_MAX_MS", 30 * 60_000, 10, 24 * 3_600_000),
      maxAttempts: int("REPORT_MAX_ATTEMPTS", 5, 1, 1000),
    },
    startupTimeoutMs: int("STARTUP_TIMEOUT_MS", 60_000, 1000, 3_600_000),
  };

  if (config.report.retryBaseMs > config.report.retryMaxMs)
    problems.push(
      `REPORT_RETRY_BASE_MS (${config.report.retryBaseMs}) must not be more than REPORT_RETRY_MAX_MS (${config.report.retryMaxMs})`,
    );
  // An address or a host name: a typo is told here instead of as a stack trace from listen().
  if (
    isIP(config.http.host) === 0 &&
    !/^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/.test(config.http.host)
  )
    problems.push(`HTTP_HOST "${config.http.host}" is not an IP address or host name`);

  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
}

function deepFreeze<T extends object>(o: T): Readonly<T> {
  for (const v of Object.values(o)) {
    if (typeof v === "object" && v !== null && !Object.isFrozen(v)) deepFreeze(v as object);
  }
  return Object.freeze(o);
}

/** A URL safe to log: the password, if any, replaced by "***". */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "<invalid url>";
  }
}
