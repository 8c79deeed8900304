/**
 * Named error classes. Each has a stable `type` string and an HTTP-like `code`; the gateway turns them
 * into `{ error: { type, message, data } }` with that status. Infra failures extend the retryable class.
 */
import { Errors } from "moleculer";
import type { ReportRecord } from "./outbox";

/** A record or request body that is not a valid event. */
export class InvalidEventError extends Errors.MoleculerClientError {
  constructor(message: string, data?: unknown) {
    super(message, 422, "INVALID_EVENT", data);
    this.name = "InvalidEventError";
  }
}

/** A `/jobs/:id` lookup for a job this node never accepted. */
export class JobNotFoundError extends Errors.MoleculerClientError {
  constructor(id: string) {
    super(`No job with id "${id}"`, 404, "JOB_NOT_FOUND", { id });
    this.name = "JobNotFoundError";
  }
}

/** A dependency (Kafka, SQLite, SMTP) cannot be reached right now; retrying later may work. */
export class DependencyUnavailableError extends Errors.MoleculerRetryableError {
  constructor(dependency: string, message: string) {
    super(`${dependency} is unavailable: ${message}`, 503, "DEPENDENCY_UNAVAILABLE", {
      dependency,
    });
    this.name = "DependencyUnavailableError";
  }
}

/** More reports over a time window asked at once than the gateway lets through (503, retry later). */
export class ReportsBusyError extends Errors.MoleculerRetryableError {
  constructor(running: number, waiting: number, waitedMs?: number) {
    super(
      waitedMs === undefined
        ? `Too many reports over a time window at once (${running} running, ${waiting} waiting); retry later.`
        : `Too many reports over a time window at once: this one waited ${waitedMs / 1000} s for its turn; retry later.`,
      503,
      "REPORTS_BUSY",
      waitedMs === undefined ? { running, waiting } : { running, waiting, waitedMs },
    );
    this.name = "ReportsBusyError";
  }
}

/** The service is shutting down and takes no new work. */
export class ShuttingDownError extends Errors.MoleculerRetryableError {
  constructor(service: string) {
    super(`${service} is shutting down`, 503, "SHUTTING_DOWN", { service });
    this.name = "ShuttingDownError";
  }
}

/** A request body in a format the route does not take. */
export class UnsupportedMediaTypeError extends Errors.MoleculerClientError {
  constructor(got: string, accepted: string[]) {
    super(
      `Content-Type ${got === "" ? "is missing" : `"${got}" is not supported`}; use ${accepted.join(" or ")}.`,
      415,
      "UNSUPPORTED_MEDIA_TYPE",
      { accepted },
    );
    this.name = "UnsupportedMediaTypeError";
  }
}

/** A body that is not UTF-8: decoded anyway, its bad bytes would be stored as U+FFFD. */
export class InvalidUtf8Error extends Errors.MoleculerClientError {
  constructor(offset: number) {
    super(
      `The request body is not valid UTF-8 (at byte ${offset}); JSON and NDJSON bodies must be UTF-8.`,
      400,
      "INVALID_UTF8",
      { offset },
    );
    this.name = "InvalidUtf8Error";
  }
}

/** A route that exists, asked with a method it does not take. */
export class MethodNotAllowedError extends Errors.MoleculerClientError {
  constructor(method: string, allowed: string[]) {
    super(
      `Method ${method} is not allowed here; use ${allowed.join(" or ")}.`,
      405,
      "METHOD_NOT_ALLOWED",
      { allowed },
    );
    this.name = "MethodNotAllowedError";
  }
}

/** A client over its request budget (see RATE_LIMIT_WRITES_PER_MINUTE); Retry-After says when. */
export class RateLimitedError extends Errors.MoleculerClientError {
  constructor(limit: number) {
    super(
      `Too many requests: at most ${limit} writes a minute; retry after Retry-After seconds.`,
      429,
      "RATE_LIMITED",
      {
        limit,
      },
    );
    this.name = "RateLimitedError";
  }
}

/** A report sent on request that the mail server refused outright (5xx), with no attempt left (REPORT_MAX_ATTEMPTS). */
export class ReportNotSentError extends Errors.MoleculerError {
  constructor(record: ReportRecord) {
    super(
      `The mail server refused report ${record.id} and no attempt is left: ${record.error ?? "unknown error"}`,
      502,
      "REPORT_NOT_SENT",
      { id: record.id, status: record.status, attempts: record.attempts, error: record.error },
    );
    this.name = "ReportNotSentError";
  }
}
