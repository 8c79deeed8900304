/**
 * The report outbox: every report is stored in SQLite before it is sent; a failed send is retried
 * with exponential backoff, also after a restart, and a report marked sent is never sent again.
 * A mail server that is down or answers "try later" (4xx) is waited for however long it takes; only
 * a refusal a retry will not change (5xx: no such mailbox, authentication refused), once the report
 * was tried maxAttempts times, marks it failed.
 * Each email carries a Message-ID derived from the report, so that the one case a duplicate remains
 * possible (the process dies after the SMTP server accepted a mail and before it is marked sent) is
 * recognisable by mail clients.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import type { Log } from "./log";
import type { Delivery, Mailer } from "./mailer";
import { topOf, type Report } from "./report";
import { renderReportEmail, type PreviousReport } from "./report-email";
import type { Db } from "./sqlite";

export type ReportStatus = "pending" | "sent" | "logged" | "failed";

export interface ReportRecord {
  id: number;
  createdAt: string;
  trigger: string;
  total: number;
  status: ReportStatus;
  attempts: number;
  recipients: string[];
  nextAttemptAt: string | null;
  error: string | null;
  sentAt: string | null;
  messageId: string;
}

export interface StoredReport extends ReportRecord {
  subject: string;
  text: string;
  html: string;
  /** The report with its top cities (the full table is in the CSV). */
  report: Report;
}

export interface OutboxOptions {
  db: Db;
  mailer: Mailer;
  recipients: readonly string[];
  log: Log;
  /** First retry delay; doubles each attempt. */
  retryBaseMs: number;
  retryMaxMs: number;
  /**
   * Attempts after which a refusal (5xx) marks the report failed; other failures (server down,
   * 4xx "try later") are retried for as long as they last.
   */
  maxAttempts: number;
  /** Reports kept in the history (pending ones are always kept). Default 500. */
  keep?: number;
  /** Cities charted in the email. Default 15. */
  emailRows?: number;
  /**
   * How many times the stored events were cleaned again (UserStatsStore.recleanings), kept with
   * each report: a previous report made at another number gets no per-city changes, only the
   * change of the total, since its cities may be keyed otherwise.
   */
  recleanings?: () => number;
}

interface Row {
  id: number;
  created_at: string;
  trigger: string;
  total: number;
  status: ReportStatus;
  attempts: number;
  recipients: string;
  next_attempt_at: string | null;
  last_error: string | null;
  sent_at: string | null;
  message_id: string;
}

/** Cities of a report kept in the history, enough for "change since" of any top list. */
const KEPT_STATS = 500;
/**
 * How long an attempt holds its claim on a report: longer than a send can take (the mailer bounds
 * each SMTP exchange by 10 s), short enough that a report whose sender died is tried again soon.
 */
const CLAIM_MS = 60_000;

/** A mail server's refusal that a retry will not change (an SMTP reply of 5xx). */
export function isPermanentFailure(err: unknown): boolean {
  const code = (err as { responseCode?: unknown } | null | undefined)?.responseCode;
  return typeof code === "number" && code >= 500 && code < 600;
}

function toRecord(r: Row): ReportRecord {
  return {
    id: r.id,
    createdAt: r.created_at,
    trigger: r.trigger,
    total: r.total,
    status: r.status,
    attempts: r.attempts,
    recipients: JSON.parse(r.recipients) as string[],
    nextAttemptAt: r.next_attempt_at,
    error: r.last_error,
    sentAt: r.sent_at,
    messageId: r.message_id,
  };
}

export class ReportOutbox {
  private readonly db: Db;
  private readonly inFlight = new Map<number, Promise<ReportRecord>>();
  /** Reports sent whose "sent" the database refused to record (see recordSent). */
  private readonly sentUnrecorded = new Map<number, { delivery: Delivery; sentAt: string }>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly opts: OutboxOptions) {
    this.db = opts.db;
    this.db.exec(`CREATE TABLE IF NOT EXISTS reports (
      id INTEGER PRIMARY KEY,
      created_at TEXT NOT NULL,
      trigger TEXT NOT NULL,
      total INTEGER NOT NULL,
      report TEXT NOT NULL,
      subject TEXT NOT NULL,
      text TEXT NOT NULL,
      html TEXT NOT NULL,
      csv BLOB NOT NULL,
      csv_filename TEXT NOT NULL,
      recipients TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'logged', 'failed')),
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at TEXT,
      last_error TEXT,
      sent_at TEXT,
      message_id TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS reports_due ON reports (status, next_attempt_at);`);
    // The request a report was asked by (files from before it was kept gain the column).
    const columns = this.db.prepare("SELECT name FROM pragma_table_info('reports')").all() as {
      name: string;
    }[];
    if (!columns.some(c => c.name === "request_id")) {
      this.db.exec("ALTER TABLE reports ADD COLUMN request_id TEXT");
    }
    // The store's count of re-cleanings when the report was made (see OutboxOptions.recleanings).
    if (!columns.some(c => c.name === "recleanings")) {
      this.db.exec("ALTER TABLE reports ADD COLUMN recleanings INTEGER");
    }
    this.db.exec(`CREATE UNIQUE INDEX IF NOT EXISTS reports_by_request ON reports (request_id)
      WHERE request_id IS NOT NULL`);
  }

  /**
   * The report stored for a request, if any: a request that RabbitMQ delivers again (the node
   * that took it first died before answering) finds its report instead of storing a second one.
   */
  byRequest(requestId: string): StoredReport | undefined {
    const row = this.db.prepare("SELECT id FROM reports WHERE request_id = ?").get(requestId) as
      { id: number } | undefined;
    return row === undefined ? undefined : this.get(row.id);
  }

  /**
   * Renders and stores a report as pending (nothing is sent yet); returns its record. With a
   * request id, which must be new (see byRequest).
   */
  enqueue(report: Report, trigger: string, requestId?: string): ReportRecord {
    const recleanings = this.opts.recleanings?.() ?? 0;
    const kept = topOf(report, KEPT_STATS);
    const now = new Date().toISOString();
    const id = this.db.transaction(() => {
      // Stored first, rendered once its id is known: a logged report's text points to its CSV.
      const { lastInsertRowid } = this.db
        .prepare(
          `INSERT INTO reports (created_at, trigger, total, report, subject, text, html, csv, csv_filename, recipients,
             status, attempts, next_attempt_at, message_id, request_id, recleanings)
           VALUES (?, ?, ?, ?, '', '', '', x'', '', ?, 'pending', 0, ?, '', ?, ?)`,
        )
        .run(
          now,
          trigger,
          report.total,
          JSON.stringify(kept),
          JSON.stringify(this.opts.recipients),
          now,
          requestId ?? null,
          recleanings,
        );
      const rowId = Number(lastInsertRowid);
      if (trigger === "schedule") this.supersede(rowId);
      const previous = this.previousOf(rowId, recleanings);
      const csvAt = this.opts.mailer.via === "log" ? `/reports/${rowId}?format=csv` : undefined;
      const email = renderReportEmail(report, previous, this.opts.emailRows, csvAt);
      this.db
        .prepare(
          `UPDATE reports SET subject = ?, text = ?, html = ?, csv = ?, csv_filename = ?, message_id = ?
           WHERE id = ?`,
        )
        .run(
          email.subject,
          email.text,
          email.html,
          gzipSync(email.csv),
          email.csvFilename,
          `<report-${rowId}.${Date.parse(now)}@event-pipeline.local>`,
          rowId,
        );
      this.prune();
      return rowId;
    })();
    return this.record(id) as ReportRecord;
  }

  /**
   * The report a new one's changes are counted from: the latest before it that was or will be
   * delivered. One that failed (superseded, or refused by the mail server) reached nobody, and
   * changes since it would understate what its readers see since their last report.
   */
  private previousOf(id: number, recleanings: number): PreviousReport | undefined {
    const row = this.db
      .prepare(
        "SELECT id, report, recleanings FROM reports WHERE id < ? AND status != 'failed' ORDER BY id DESC LIMIT 1",
      )
      .get(id) as { id: number; report: string; recleanings: number | null } | undefined;
    if (row === undefined) return undefined;
    const r = JSON.parse(row.report) as Report;
    // A report from before the count was kept (NULL) may predate a re-cleaning that was not
    // counted (a migration or `npm run reclean` of an older version): totals only, once.
    const sameKeys = row.recleanings === recleanings;
    return {
      id: row.id,
      timestamp: r.timestamp,
      total: r.total,
      stats: sameKeys ? r.stats : undefined,
      // Its biggest KEPT_STATS cities only: a city not among them had some count up to theirs.
      complete: r.filters.top === undefined,
    };
  }

  /**
   * A scheduled report still waiting for the mail server when the next one is due is not emailed:
   * with the server down over a weekend and a report every minute, thousands would pile up and
   * all go out, out of date, once it is back. It stays in the history (status `failed`, saying
   * why); reports asked for with POST /report/send are all sent. One under way is left to finish,
   * and one sent whose "sent" the database refused to record is left to be recorded.
   */
  private supersede(newId: number): void {
    const { changes } = this.db
      .prepare(
        `UPDATE reports SET status = 'failed', next_attempt_at = NULL, last_error = ?
         WHERE status = 'pending' AND trigger = 'schedule' AND id < ?
           AND id NOT IN (SELECT value FROM json_each(?))`,
      )
      .run(
        `Not emailed: superseded by report ${newId}, the next scheduled one, while this one waited for the mail server.`,
        newId,
        JSON.stringify([...this.inFlight.keys(), ...this.sentUnrecorded.keys()]),
      );
    if (changes > 0)
      this.opts.log.warn(
        `${changes} scheduled report(s) still waiting for the mail server will not be emailed: report ${newId} supersedes them.`,
        { id: newId },
      );
  }

  /** Tries to send a pending report now (unless an attempt is already under way); returns its record. */
  deliver(id: number): Promise<ReportRecord> {
    const running = this.inFlight.get(id);
    if (running !== undefined) return running;
    const attempt = this.attempt(id).finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, attempt);
    return attempt;
  }

  private async attempt(id: number): Promise<ReportRecord> {
    const now = new Date();
    // Claim the report unless another attempt holds it or it waits for its retry time (also
    // guards against a second process working on the same file).
    const claimed = this.db
      .prepare(
        `UPDATE reports SET next_attempt_at = ? WHERE id = ? AND status = 'pending'
         AND (next_attempt_at IS NULL OR next_attempt_at <= ?)`,
      )
      .run(new Date(now.getTime() + CLAIM_MS).toISOString(), id, now.toISOString()).changes;
    const row = this.db
      .prepare(
        "SELECT subject, text, html, csv, csv_filename, recipients, attempts, message_id FROM reports WHERE id = ?",
      )
      .get(id) as
      | {
          subject: string;
          text: string;
          html: string;
          csv: Buffer;
          csv_filename: string;
          attempts: number;
          message_id: string;
        }
      | undefined;
    if (claimed === 0 || row === undefined) return this.record(id) as ReportRecord;
    // Sent before, but the database refused to record it: record it now, without sending again.
    const unrecorded = this.sentUnrecorded.get(id);
    if (unrecorded !== undefined) {
      this.recordSent(id, unrecorded.delivery, unrecorded.sentAt);
      return this.record(id) as ReportRecord;
    }
    let delivery: Delivery;
    try {
      delivery = await this.opts.mailer.deliver({
        subject: row.subject,
        text: row.text,
        html: row.html,
        messageId: row.message_id,
        attachments: [
          {
            filename: row.csv_filename,
            content: gunzipSync(row.csv),
            contentType: "text/csv; charset=utf-8",
          },
        ],
      });
    } catch (err) {
      this.recordFailure(id, row.attempts + 1, err);
      return this.record(id) as ReportRecord;
    }
    this.recordSent(id, delivery, new Date().toISOString());
    return this.record(id) as ReportRecord;
  }

  /**
   * Marks a report sent (or logged). When the database refuses (locked past its busy timeout, disk
   * full), the delivery is remembered and only the record is retried once the claim expires: the
   * mail is not sent again unless the process dies first.
   */
  private recordSent(id: number, delivery: Delivery, sentAt: string): void {
    try {
      // The recipients it went to: those configured now, which may differ from when it was stored.
      this.db
        .prepare(
          `UPDATE reports SET status = ?, attempts = attempts + 1, sent_at = ?, next_attempt_at = NULL,
             last_error = NULL, recipients = COALESCE(?, recipients) WHERE id = ?`,
        )
        .run(
          delivery.via === "smtp" ? "sent" : "logged",
          sentAt,
          delivery.via === "smtp" ? JSON.stringify(delivery.to) : null,
          id,
        );
      this.sentUnrecorded.delete(id);
    } catch (err) {
      this.sentUnrecorded.set(id, { delivery, sentAt });
      this.opts.log.error("Report was sent but could not be recorded; recording it again later.", {
        id,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  private recordFailure(id: number, attempts: number, err: unknown): void {
    const error = err instanceof Error ? err.message : String(err);
    // A server that is down or says "later" is waited for; one that refuses outright ends it.
    if (attempts >= this.opts.maxAttempts && isPermanentFailure(err)) {
      this.db
        .prepare(
          "UPDATE reports SET status = 'failed', attempts = ?, last_error = ?, next_attempt_at = NULL WHERE id = ?",
        )
        .run(attempts, error, id);
      this.opts.log.error("Report could not be sent; giving up.", { id, attempts, error });
    } else {
      const wait = Math.min(this.opts.retryBaseMs * 2 ** (attempts - 1), this.opts.retryMaxMs);
      const next = new Date(Date.now() + wait).toISOString();
      this.db
        .prepare(
          "UPDATE reports SET attempts = ?, last_error = ?, next_attempt_at = ? WHERE id = ?",
        )
        .run(attempts, error, next, id);
      this.opts.log.warn(`Report could not be sent (attempt ${attempts}); retrying at ${next}.`, {
        id,
        error,
      });
    }
  }

  /** Sends every pending report whose retry time has come; returns how many were tried. */
  async deliverDue(): Promise<number> {
    const due = this.db
      .prepare(
        "SELECT id FROM reports WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id",
      )
      .all(new Date().toISOString()) as { id: number }[];
    for (const { id } of due) {
      if (this.stopped) break;
      await this.deliver(id);
    }
    return due.length;
  }

  /** Checks for due reports every pollMs (and once now). */
  start(pollMs: number): void {
    const tick = () => {
      if (this.ticking !== undefined || this.stopped) return;
      this.ticking = this.deliverDue()
        .then(() => undefined)
        .catch((err: unknown) =>
          this.opts.log.error("Outbox check failed.", { error: String(err) }),
        )
        .finally(() => (this.ticking = undefined));
    };
    this.timer = setInterval(tick, pollMs);
    tick();
  }

  /** Stops the timer and waits for sends under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
    await Promise.allSettled([...this.inFlight.values()]);
    // A send the database refused to record is recorded now: a restart must not send it again.
    for (const [id, { delivery, sentAt }] of [...this.sentUnrecorded]) {
      this.recordSent(id, delivery, sentAt);
    }
    if (this.sentUnrecorded.size > 0) {
      this.opts.log.error(
        "Reports were sent but are still not recorded; a restart sends them again.",
        {
          ids: [...this.sentUnrecorded.keys()],
        },
      );
    }
  }

  record(id: number): ReportRecord | undefined {
    const row = this.db.prepare("SELECT * FROM reports WHERE id = ?").get(id) as Row | undefined;
    return row === undefined ? undefined : toRecord(row);
  }

  /** One report with its content. */
  get(id: number): StoredReport | undefined {
    const row = this.db.prepare("SELECT * FROM reports WHERE id = ?").get(id) as
      (Row & { subject: string; text: string; html: string; report: string }) | undefined;
    if (row === undefined) return undefined;
    return {
      ...toRecord(row),
      subject: row.subject,
      text: row.text,
      html: row.html,
      report: JSON.parse(row.report) as Report,
    };
  }

  /** The CSV attachment of a report. */
  csv(id: number): string | undefined {
    return this.attachment(id)?.csv;
  }

  /** The CSV attachment of a report with the file name the email gives it. */
  attachment(id: number): { csv: string; filename: string } | undefined {
    const row = this.db.prepare("SELECT csv, csv_filename FROM reports WHERE id = ?").get(id) as
      { csv: Buffer; csv_filename: string } | undefined;
    return row === undefined
      ? undefined
      : { csv: gunzipSync(row.csv).toString("utf8"), filename: row.csv_filename };
  }

  /** History, newest first; `before` pages backwards by id. */
  list(limit: number, before?: number): ReportRecord[] {
    const rows = this.db
      .prepare(
        `SELECT id, created_at, trigger, total, status, attempts, recipients, next_attempt_at, last_error, sent_at, message_id
         FROM reports WHERE id < ? ORDER BY id DESC LIMIT ?`,
      )
      .all(before ?? Number.MAX_SAFE_INTEGER, limit) as Row[];
    return rows.map(toRecord);
  }

  /** Reports waiting for a retry. */
  pendingCount(): number {
    return (
      this.db.prepare("SELECT COUNT(*) AS n FROM reports WHERE status = 'pending'").get() as {
        n: number;
      }
    ).n;
  }

  private prune(): void {
    const keep = this.opts.keep ?? 500;
    this.db
      .prepare(
        `DELETE FROM reports WHERE status != 'pending'
         AND id <= (SELECT id FROM reports ORDER BY id DESC LIMIT 1 OFFSET ?)`,
      )
      .run(keep);
  }
}
