// The outbox on a real SQLite file, with a stand-in mailer (the SMTP side is tested in integration).
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLog } from "../../lib/log";
import type { Mailer, OutgoingMail } from "../../lib/mailer";
import { ReportOutbox } from "../../lib/outbox";
import type { Report } from "../../lib/report";
import { waitFor } from "../../lib/retry";
import { openDatabase, type Db } from "../../lib/sqlite";
import { tempDir } from "../helpers/tmp";

/**
 * A mailer that records what it sends. `failing`: true fails as a server that is down, a string
 * fails with that message and, when it starts with an SMTP code, that code as `responseCode`.
 */
function fakeMailer(via: "smtp" | "log" = "smtp", to = ["a@example.com"]) {
  const sent: OutgoingMail[] = [];
  const state = { failing: false as boolean | string, to };
  const mailer: Mailer = {
    via,
    deliver(mail) {
      if (state.failing !== false) {
        const message = state.failing === true ? "connection refused" : state.failing;
        const code = /^\d{3}\b/.exec(message);
        return Promise.reject(
          Object.assign(new Error(message), code ? { responseCode: Number(code[0]) } : {}),
        );
      }
      sent.push(mail);
      return Promise.resolve({ via, to: [...state.to], messageId: mail.messageId });
    },
    verify: () => Promise.resolve(),
    close: () => undefined,
  };
  return { mailer, sent, state };
}

const report = (total: number): Report => ({
  timestamp: new Date().toISOString(),
  total,
  filters: { by: "city" },
  stats: { "Houston, TX": total },
});

describe("ReportOutbox", () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: Db;
  const make = (
    mailer: Mailer,
    extra: Partial<ConstructorParameters<typeof ReportOutbox>[0]> = {},
  ) =>
    new ReportOutbox({
      db,
      mailer,
      recipients: ["a@example.com"],
      log: silentLog,
      retryBaseMs: 50,
      retryMaxMs: 200,
      maxAttempts: 5,
      ...extra,
    });

  /**
   * Delivers while the database refuses to mark the report sent (as when it stays locked past its
   * busy timeout, or the disk is full); the refusal ends with the attempt.
   */
  const deliverRefusingSent = async (outbox: ReportOutbox, id: number) => {
    db.exec(`CREATE TRIGGER refuse_sent BEFORE UPDATE OF status ON reports
      WHEN NEW.status = 'sent' BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`);
    try {
      return await outbox.deliver(id);
    } finally {
      db.exec("DROP TRIGGER refuse_sent");
    }
  };
  /** The report's claim (or retry time) has run out. */
  const claimExpired = (id: number) =>
    db
      .prepare("UPDATE reports SET next_attempt_at = ? WHERE id = ?")
      .run(new Date(Date.now() - 1000).toISOString(), id);

  beforeEach(() => {
    tmp = tempDir();
    db = openDatabase(path.join(tmp.dir, "outbox.sqlite"));
  });
  afterEach(() => {
    db.close();
    tmp.remove();
  });

  it("stores a report before sending it, then marks it sent with a stable Message-ID and the CSV attached", async () => {
    const { mailer, sent } = fakeMailer();
    const outbox = make(mailer);
    const queued = outbox.enqueue(report(10), "request");
    expect(queued).toMatchObject({ status: "pending", attempts: 0, recipients: ["a@example.com"] });
    const done = await outbox.deliver(queued.id);
    expect(done).toMatchObject({ status: "sent", attempts: 1, error: null });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.messageId).toBe(queued.messageId);
    expect(sent[0]?.attachments?.[0]).toMatchObject({
      filename: expect.stringMatching(/\.csv$/) as unknown,
    });
    expect(String(sent[0]?.attachments?.[0]?.content)).toContain("Houston,TX,US,10");
    expect(outbox.csv(queued.id)).toContain("Houston,TX,US,10");
    expect(outbox.get(queued.id)?.html).toContain("Houston, TX");
  });

  it("keeps the first 500 keys of a bigger report, saying so in its filters; the CSV has them all", () => {
    const { mailer } = fakeMailer();
    const outbox = make(mailer);
    const stats = Object.fromEntries(Array.from({ length: 800 }, (_, i) => [`C${i}, TX`, 800 - i]));
    const big: Report = { ...report(0), total: 320_400, stats };
    const { id } = outbox.enqueue(big, "request");
    const kept = outbox.get(id)?.report as Report;
    expect(Object.keys(kept.stats)).toHaveLength(500);
    expect(kept.filters).toEqual({ by: "city", top: 500 });
    expect(kept.total).toBe(320_400);
    expect(outbox.csv(id)?.trim().split("\n")).toHaveLength(801);
    // A report within the 500 is kept as it is.
    expect(outbox.get(outbox.enqueue(report(3), "request").id)?.report.filters).toEqual({
      by: "city",
    });
  });

  it("never sends a report twice, even when asked twice at once or again later", async () => {
    const { mailer, sent } = fakeMailer();
    const outbox = make(mailer);
    const { id } = outbox.enqueue(report(1), "request");
    await Promise.all([outbox.deliver(id), outbox.deliver(id), outbox.deliverDue()]);
    await outbox.deliver(id);
    expect(sent).toHaveLength(1);
  });

  it("does not send again when the database refused to record a send", async () => {
    const { mailer, sent } = fakeMailer();
    const outbox = make(mailer);
    const { id } = outbox.enqueue(report(1), "request");
    expect(await deliverRefusingSent(outbox, id)).toMatchObject({ status: "pending" });
    expect(sent).toHaveLength(1);
    // Its claim has run out: the next check records the send, and sends nothing.
    claimExpired(id);
    expect(await outbox.deliverDue()).toBe(1);
    expect(outbox.record(id)).toMatchObject({ status: "sent", attempts: 1 });
    expect(sent).toHaveLength(1);
  });

  it("records at stop a send the database refused, so that a restart does not send it again", async () => {
    const { mailer, sent } = fakeMailer();
    const outbox = make(mailer);
    const { id } = outbox.enqueue(report(1), "request");
    const sentBy = new Date().toISOString();
    await deliverRefusingSent(outbox, id);
    await outbox.stop();
    const record = outbox.record(id);
    expect(record).toMatchObject({ status: "sent", attempts: 1 });
    expect((record?.sentAt ?? "") >= sentBy).toBe(true);
    // A new process on the same file finds nothing to send.
    const restarted = make(mailer);
    claimExpired(id);
    expect(await restarted.deliverDue()).toBe(0);
    expect(sent).toHaveLength(1);
  });

  it("records as sent a scheduled report sent but not recorded, even after the next one is due", async () => {
    const { mailer, sent } = fakeMailer();
    const outbox = make(mailer);
    const { id } = outbox.enqueue(report(1), "schedule");
    await deliverRefusingSent(outbox, id);
    // The next scheduled report would supersede one still pending: not this one, which went out.
    const next = outbox.enqueue(report(2), "schedule");
    expect(outbox.record(id)?.status).toBe("pending");
    claimExpired(id);
    await outbox.deliverDue();
    expect(outbox.record(id)).toMatchObject({ status: "sent", error: null });
    expect(outbox.record(next.id)?.status).toBe("sent");
    expect(sent).toHaveLength(2);
  });

  it("finds the report stored for a request, and keeps request ids unique", () => {
    const { mailer } = fakeMailer();
    const outbox = make(mailer);
    const { id } = outbox.enqueue(report(3), "request", "req-1");
    outbox.enqueue(report(4), "schedule");
    expect(outbox.byRequest("req-1")).toMatchObject({ id, total: 3 });
    expect(outbox.byRequest("req-2")).toBeUndefined();
    expect(() => outbox.enqueue(report(5), "request", "req-1")).toThrow(/UNIQUE/);
  });

  it("adds the request column to a file from before it was kept", () => {
    const { mailer } = fakeMailer();
    make(mailer).enqueue(report(1), "request");
    db.exec("DROP INDEX reports_by_request; ALTER TABLE reports DROP COLUMN request_id");
    const outbox = make(mailer);
    expect(outbox.list(10)).toHaveLength(1);
    outbox.enqueue(report(2), "request", "req-9");
    expect(outbox.byRequest("req-9")?.total).toBe(2);
  });

  it("marks a report logged when there is no SMTP, and points its text to the CSV it cannot attach", async () => {
    const { mailer, sent } = fakeMailer("log");
    const outbox = make(mailer);
    const { id } = outbox.enqueue(report(1), "schedule");
    expect((await outbox.deliver(id)).status).toBe("logged");
    expect(sent[0]?.text).toContain(
      `The full table (1 city) is at /reports/${id}?format=csv as CSV.`,
    );
    expect(sent[0]?.text).not.toContain("attached");
    expect(outbox.csv(id)).toContain("Houston,TX,US,1");
  });

  it("retries a failed send with backoff until it goes through", async () => {
    const { mailer, sent, state } = fakeMailer();
    // A first wait long enough that "not due yet" holds on a slow machine too.
    const outbox = make(mailer, { retryBaseMs: 500, retryMaxMs: 1000 });
    state.failing = true;
    const { id } = outbox.enqueue(report(1), "schedule");
    const before = Date.now();
    const first = await outbox.deliver(id);
    expect(first).toMatchObject({ status: "pending", attempts: 1, error: "connection refused" });
    expect(Date.parse(first.nextAttemptAt ?? "")).toBeGreaterThanOrEqual(before + 500);
    expect(await outbox.deliverDue()).toBe(0); // not due yet
    outbox.start(20);
    await waitFor(() => (outbox.record(id)?.attempts ?? 0) >= 2, 5000, "a second attempt");
    state.failing = false;
    await waitFor(() => outbox.record(id)?.status === "sent", 5000, "the report to be sent");
    await outbox.stop();
    expect(sent).toHaveLength(1);
  });

  it("emails only the latest scheduled report once the mail server is back; asked-for ones all go", async () => {
    const { mailer, sent, state } = fakeMailer();
    const outbox = make(mailer, { retryBaseMs: 10, retryMaxMs: 10 });
    state.failing = true;
    const first = outbox.enqueue(report(1), "schedule");
    await outbox.deliver(first.id);
    const asked = outbox.enqueue(report(2), "request");
    await outbox.deliver(asked.id);
    const second = outbox.enqueue(report(3), "schedule");
    await outbox.deliver(second.id);
    const latest = outbox.enqueue(report(4), "schedule");
    expect(outbox.record(first.id)).toMatchObject({
      status: "failed",
      error: `Not emailed: superseded by report ${second.id}, the next scheduled one, while this one waited for the mail server.`,
    });
    expect(outbox.record(second.id)).toMatchObject({
      status: "failed",
      error: expect.stringContaining(`superseded by report ${latest.id}`) as unknown,
    });
    expect(outbox.record(asked.id)?.status).toBe("pending");
    expect(outbox.record(latest.id)?.status).toBe("pending");
    // Still in the history, with their content.
    expect(outbox.get(first.id)?.report.total).toBe(1);

    state.failing = false;
    outbox.start(5);
    await waitFor(() => outbox.pendingCount() === 0, 5000, "the pending reports to be sent");
    await outbox.stop();
    expect(sent.map(m => m.messageId).sort()).toEqual(
      [outbox.record(asked.id)?.messageId, outbox.record(latest.id)?.messageId].sort(),
    );
    expect(outbox.record(first.id)?.status).toBe("failed");
  });

  it("leaves a scheduled report whose attempt is under way to finish", async () => {
    const { mailer, sent } = fakeMailer();
    let release!: () => void;
    const held = new Promise<void>(resolve => (release = resolve));
    const slow: Mailer = { ...mailer, deliver: async mail => (await held, mailer.deliver(mail)) };
    const outbox = make(slow);
    const first = outbox.enqueue(report(1), "schedule");
    const sending = outbox.deliver(first.id);
    outbox.enqueue(report(2), "schedule");
    expect(outbox.record(first.id)?.status).toBe("pending");
    expect(outbox.record(first.id)?.error ?? null).toBeNull();
    release();
    expect((await sending).status).toBe("sent");
    expect(sent).toHaveLength(1);
  });

  it("keeps retrying past maxAttempts while the server is down or says 'try later'", async () => {
    const { mailer, sent, state } = fakeMailer();
    const outbox = make(mailer, { maxAttempts: 2, retryBaseMs: 10, retryMaxMs: 20 });
    state.failing = true;
    const { id } = outbox.enqueue(report(1), "schedule");
    outbox.start(10);
    await waitFor(
      () => (outbox.record(id)?.attempts ?? 0) >= 4,
      5000,
      "four attempts, server down",
    );
    state.failing = "451 4.3.2 try again later";
    const at = outbox.record(id)?.attempts ?? 0;
    await waitFor(() => (outbox.record(id)?.attempts ?? 0) >= at + 2, 5000, "two more, 451");
    expect(outbox.record(id)?.status).toBe("pending");
    state.failing = false;
    await waitFor(() => outbox.record(id)?.status === "sent", 5000, "the report to be sent");
    await outbox.stop();
    expect(sent).toHaveLength(1);
  });

  it("gives up at an outright refusal (5xx) after maxAttempts and says why", async () => {
    const { mailer, state } = fakeMailer();
    state.failing = "550 mailbox unavailable";
    const outbox = make(mailer, { maxAttempts: 2, retryBaseMs: 10 });
    const { id } = outbox.enqueue(report(1), "schedule");
    outbox.start(10);
    await waitFor(() => outbox.record(id)?.status === "failed", 5000, "the report to fail");
    await outbox.stop();
    expect(outbox.record(id)).toMatchObject({
      attempts: 2,
      error: "550 mailbox unavailable",
      nextAttemptAt: null,
    });
  });

  it("records the recipients a report went to, which REPORT_TO may have changed since it was stored", async () => {
    const { mailer, state } = fakeMailer("smtp", ["old@example.com"]);
    const outbox = make(mailer, { recipients: ["old@example.com"] });
    state.failing = true;
    const { id } = outbox.enqueue(report(1), "schedule");
    await outbox.deliver(id);
    expect(outbox.record(id)?.recipients).toEqual(["old@example.com"]);
    state.failing = false;
    state.to = ["new@example.com", "boss@example.com"];
    await waitFor(() => outbox.deliverDue().then(() => outbox.record(id)?.status === "sent"), 5000);
    expect(outbox.record(id)?.recipients).toEqual(["new@example.com", "boss@example.com"]);
  });

  it("sends a report once when two processes work on the same file", async () => {
    const first = fakeMailer();
    const second = fakeMailer();
    const otherDb = openDatabase(path.join(tmp.dir, "outbox.sqlite"));
    try {
      const a = make(first.mailer);
      const b = new ReportOutbox({
        db: otherDb,
        mailer: second.mailer,
        recipients: ["a@example.com"],
        log: silentLog,
        retryBaseMs: 50,
        retryMaxMs: 200,
        maxAttempts: 5,
      });
      const { id } = a.enqueue(report(1), "schedule");
      await Promise.all([a.deliver(id), b.deliver(id), b.deliverDue(), a.deliverDue()]);
      expect(first.sent.length + second.sent.length).toBe(1);
      expect(a.record(id)?.status).toBe("sent");
    } finally {
      otherDb.close();
    }
  });

  it("sends after a restart what an earlier process left pending", async () => {
    const { mailer, state } = fakeMailer();
    state.failing = true;
    const before = make(mailer, { retryBaseMs: 10 });
    const { id } = before.enqueue(report(1), "schedule");
    await before.deliver(id);
    await before.stop();
    const after = fakeMailer();
    const restarted = make(after.mailer, { retryBaseMs: 10 });
    restarted.start(10);
    await waitFor(
      () => restarted.record(id)?.status === "sent",
      5000,
      "the pending report after restart",
    );
    await restarted.stop();
    expect(after.sent).toHaveLength(1);
  });

  it("lists the history newest first, pages by id, and keeps a bounded number", async () => {
    const { mailer } = fakeMailer();
    const outbox = make(mailer, { keep: 3 });
    for (let i = 1; i <= 5; i++) await outbox.deliver(outbox.enqueue(report(i), "schedule").id);
    const all = outbox.list(10);
    expect(all.map(r => r.total)).toEqual([5, 4, 3]);
    expect(outbox.list(2).map(r => r.total)).toEqual([5, 4]);
    expect(outbox.list(2, all[1]?.id).map(r => r.total)).toEqual([3]);
  });

  it("charts the change since the previous report", async () => {
    const { mailer, sent } = fakeMailer();
    const outbox = make(mailer);
    await outbox.deliver(outbox.enqueue(report(10), "schedule").id);
    await outbox.deliver(outbox.enqueue(report(25), "schedule").id);
    expect(sent[1]?.html).toContain("+15 since the previous report");
    expect(sent[1]?.html).toMatch(/Houston, TX.*\+15/s);
  });

  it("counts changes since the last report that reached its readers, not one superseded", async () => {
    const { mailer, sent, state } = fakeMailer();
    const outbox = make(mailer, { retryBaseMs: 60_000 });
    await outbox.deliver(outbox.enqueue(report(5), "schedule").id);
    state.failing = true;
    const waiting = outbox.enqueue(report(10), "schedule").id;
    await outbox.deliver(waiting);
    state.failing = false;
    const next = outbox.enqueue(report(25), "schedule").id;
    expect(outbox.record(waiting)?.status).toBe("failed");
    await outbox.deliver(next);
    expect(sent.map(m => m.subject)).toHaveLength(2);
    expect(sent[1]?.html).toContain("+20 since the previous report");
    expect(sent[1]?.html).toMatch(/changes are since report #1 /);
    expect(sent[1]?.html).toMatch(/Houston, TX.*\+20/s);
  });

  it("compares only totals with a report from before the events were cleaned again", async () => {
    const { mailer, sent } = fakeMailer();
    let recleanings = 0;
    const outbox = make(mailer, { recleanings: () => recleanings });
    await outbox.deliver(outbox.enqueue(report(10), "schedule").id);
    await outbox.deliver(outbox.enqueue(report(12), "schedule").id);
    expect(sent[1]?.html).toMatch(/Houston, TX.*\+2/s);
    recleanings = 1;
    await outbox.deliver(outbox.enqueue(report(25), "schedule").id);
    const after = sent[2]?.html ?? "";
    expect(after).toContain("+13 since the previous report");
    expect(after).toContain("so changes per city are not shown this time");
    expect(after).not.toContain(">Change<");
    // The next report's previous one is from after the re-cleaning: per-city changes again.
    await outbox.deliver(outbox.enqueue(report(30), "schedule").id);
    expect(sent[3]?.html).toContain(">Change<");
    expect(sent[3]?.html).toMatch(/Houston, TX.*\+5/s);
    expect(sent[3]?.html).not.toContain("not shown this time");
  });

  it("compares only totals, once, with a report from a file of before re-cleanings were counted", async () => {
    const { mailer, sent } = fakeMailer();
    const before = make(mailer);
    await before.deliver(before.enqueue(report(10), "schedule").id);
    // As such a file holds its reports: no column for the count.
    db.exec("ALTER TABLE reports DROP COLUMN recleanings");
    const outbox = make(mailer, { recleanings: () => 0 });
    await outbox.deliver(outbox.enqueue(report(25), "schedule").id);
    expect(sent[1]?.html).toContain("+15 since the previous report");
    expect(sent[1]?.html).toContain("not shown this time");
    await outbox.deliver(outbox.enqueue(report(30), "schedule").id);
    expect(sent[2]?.html).toMatch(/Houston, TX.*\+5/s);
  });
});
