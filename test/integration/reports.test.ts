// Report emails through a real SMTP receiver: MIME structure, recipients, attachment; an SMTP outage
// at report time ends with the report delivered once SMTP is back, also across a restart of userstats.
import { Context, ServiceBroker, type CallingOptions } from "moleculer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../lib/retry";
import type { ReportRecord } from "../../lib/outbox";
import { brokerOptions } from "../../moleculer.config";
import { dlqTopic } from "../../lib/dead-letter";
import { createUserStatsService } from "../../services/userstats.service";
import { deleteTopics } from "../helpers/kafka";
import { startSmtpReceiver, type SmtpReceiver } from "../helpers/smtp";
import { http, startSystem, type TestSystem } from "../helpers/system";

let sys: TestSystem;
let smtp: SmtpReceiver;
let extraBroker: ServiceBroker | undefined;

const record = async (id: number): Promise<ReportRecord> => {
  const list = (await http(sys.baseUrl, "/reports?limit=200")).body as { reports: ReportRecord[] };
  const found = list.reports.find(r => r.id === id);
  if (found === undefined) throw new Error(`report ${id} not listed`);
  return found;
};

/** POST /report/send while the mail server cannot take the report now: 202 and "pending". */
const sendPending = async (): Promise<ReportRecord> => {
  const res = await http(sys.baseUrl, "/report/send", { method: "POST" });
  expect(res.status).toBe(202);
  const queued = res.body as ReportRecord;
  expect(queued.status).toBe("pending");
  return queued;
};
/** The copies of a report the mail server received. */
const copiesOf = (report: ReportRecord) =>
  smtp.mails.filter(m => m.parsed.messageId === report.messageId).length;

beforeAll(async () => {
  smtp = await startSmtpReceiver();
  sys = await startSystem({
    SMTP_URL: smtp.url,
    REPORT_TO: "boss@example.com,team@example.com",
    REPORT_FROM: "Pipeline <reports@example.com>",
    REPORT_RETRY_BASE_MS: "200",
    REPORT_RETRY_MAX_MS: "1000",
  });
  expect((await http(sys.baseUrl, "/submit/40")).status).toBe(202);
  await waitFor(
    async () => ((await http(sys.baseUrl, "/report")).body as { total: number }).total === 40,
    30_000,
    "40 users",
  );
});

afterAll(async () => {
  await extraBroker?.stop();
  await sys?.stop();
  await smtp?.close();
  if (sys) await deleteTopics([sys.config.kafka.topic, dlqTopic(sys.config.kafka.topic)]);
});

describe("report emails", () => {
  it("sends multipart mail: text and HTML alternatives plus the CSV attachment, to every recipient", async () => {
    const res = await http(sys.baseUrl, "/report/send", { method: "POST" });
    expect(res.status).toBe(200);
    const sent = res.body as ReportRecord;
    expect(sent).toMatchObject({
      status: "sent",
      attempts: 1,
      recipients: ["boss@example.com", "team@example.com"],
    });
    const mail = await waitFor(
      () => smtp.mails.find(m => m.parsed.messageId === sent.messageId),
      10_000,
      "the mail",
    );
    expect(mail.envelopeTo.sort()).toEqual(["boss@example.com", "team@example.com"]);
    expect(mail.parsed.subject).toMatch(/^User stats report, \d{4}-\d{2}-\d{2}: 40 users$/);
    // MIME structure: multipart/mixed holding multipart/alternative (text + html) and the CSV.
    expect(mail.raw).toMatch(/Content-Type: multipart\/mixed/i);
    expect(mail.raw).toMatch(/Content-Type: multipart\/alternative/i);
    expect(mail.parsed.text).toContain("Distinct users: 40");
    expect(mail.parsed.html).toContain("distinct users");
    expect(mail.parsed.attachments).toHaveLength(1);
    const csv = mail.parsed.attachments[0];
    expect(csv?.contentType).toBe("text/csv");
    expect(csv?.filename).toMatch(/^user-stats-\d{4}-\d{2}-\d{2}\.csv$/);
    const rows = csv?.content.toString("utf8").trim().split("\n") ?? [];
    expect(rows[0]).toBe("city,state,country,users");
    expect(rows.slice(1).reduce((sum, row) => sum + Number(row.split(",").at(-1)), 0)).toBe(40);
  });

  it("lists the history and shows a report as the email does", async () => {
    const list = (await http(sys.baseUrl, "/reports")).body as { reports: ReportRecord[] };
    const latest = list.reports[0] as ReportRecord;
    expect(latest.status).toBe("sent");
    const html = await http(sys.baseUrl, `/reports/${latest.id}?format=html`);
    expect(html.status).toBe(200);
    expect(html.headers.get("content-type")).toMatch(/^text\/html/);
    const mail = smtp.mails.find(m => m.parsed.messageId === latest.messageId);
    expect(html.text).toBe(mail?.parsed.html);
    // Its CSV is the email's attachment, saved under the same name.
    const csv = await http(sys.baseUrl, `/reports/${latest.id}?format=csv`);
    const attached = mail?.parsed.attachments.find(a => a.filename?.endsWith(".csv"));
    expect(csv.headers.get("content-disposition")).toBe(
      `attachment; filename="${attached?.filename}"`,
    );
    expect(csv.text).toBe(attached?.content.toString("utf8"));
    const json = await http(sys.baseUrl, `/reports/${latest.id}`);
    expect(json.body).toMatchObject({ id: latest.id, status: "sent", report: { total: 40 } });
    // An empty format (as a form sends it) is no format, as on every route.
    expect((await http(sys.baseUrl, `/reports/${latest.id}?format=`)).body).toEqual(json.body);
    expect((await http(sys.baseUrl, "/reports/999999")).status).toBe(404);
    expect((await http(sys.baseUrl, "/reports/abc")).status).toBe(422);
  });

  it("pages through the history by its next links, each report once, with no empty last page", async () => {
    await http(sys.baseUrl, "/report/send", { method: "POST" });
    const all = (
      (await http(sys.baseUrl, "/reports?limit=200")).body as { reports: ReportRecord[] }
    ).reports;
    expect(all.length).toBeGreaterThanOrEqual(2);
    const seen: number[] = [];
    let next: string | null = "/reports?limit=1";
    while (next !== null) {
      const page = (await http(sys.baseUrl, next)).body as {
        reports: ReportRecord[];
        next: string | null;
      };
      expect(page.reports).toHaveLength(1);
      seen.push(...page.reports.map(r => r.id));
      next = page.next;
    }
    expect(seen).toEqual(all.map(r => r.id));
    // Empty parameters (a form's empty fields) are not given, as on /report.
    const empty = await http(sys.baseUrl, "/reports?limit=&before=");
    expect(empty.status, empty.text).toBe(200);
    expect((empty.body as { reports: ReportRecord[] }).reports.map(r => r.id)).toEqual(
      all.slice(0, 20).map(r => r.id),
    );
  });

  it("delivers a report once SMTP is back after an outage at report time, exactly once", async () => {
    smtp.refusing = true;
    const queued = await sendPending();
    expect(queued.error).toMatch(/451|unavailable/i);
    await waitFor(
      async () => (await record(queued.id)).attempts >= 2,
      10_000,
      "a retry while SMTP refuses",
    );
    smtp.refusing = false;
    await waitFor(
      async () => (await record(queued.id)).status === "sent",
      15_000,
      "delivery after the outage",
    );
    // A few more outbox ticks: nothing is sent again.
    await waitFor(
      async () => Date.now() - Date.parse((await record(queued.id)).sentAt ?? "") > 1000,
      5000,
      "time to pass",
    );
    expect(copiesOf(queued)).toBe(1);
  });

  it("answers 'pending' in time when the mail server is slow, and delivers that one report once it answers", async () => {
    smtp.holding = true;
    // Before, the request waited for the mail server until the RPC timed out: a 503 for a report
    // that was stored and sent later, which invited a second request and a second report.
    const queued = await sendPending();
    smtp.release();
    await waitFor(
      async () => (await record(queued.id)).status === "sent",
      15_000,
      "the held send to complete",
    );
    expect((await record(queued.id)).attempts).toBe(1);
    expect(copiesOf(queued)).toBe(1);
  });

  it("stores and sends one report for a request that RabbitMQ delivers twice", async () => {
    // A redelivered request carries the id it had the first time (its first node died before
    // answering): two calls with one context id are that, seen from userstats.
    const call = () => {
      const ctx = Context.create(sys.brokers.api);
      ctx.id = "redelivered-request-1";
      // broker.call() reuses a given context (opts.ctx), which moleculer's types leave out.
      const opts = { ctx } as unknown as CallingOptions;
      return sys.brokers.api.call<ReportRecord, object>("userstats.sendReport", {}, opts);
    };
    const stored = async () =>
      ((await http(sys.baseUrl, "/reports?limit=200")).body as { reports: ReportRecord[] }).reports
        .length;
    const before = await stored();
    const first = await call();
    expect(first.status).toBe("sent");
    const again = await call();
    expect(again).toMatchObject({ id: first.id, status: "sent", attempts: 1 });
    // One report stored for the two deliveries of the request.
    expect(await stored()).toBe(before + 1);
    expect(copiesOf(first)).toBe(1);
    // A new request is a new report.
    const other = (await http(sys.baseUrl, "/report/send", { method: "POST" }))
      .body as ReportRecord;
    expect(other.id).toBeGreaterThan(first.id);
  });

  it("keeps a pending report across a restart of userstats and sends it afterwards", async () => {
    smtp.refusing = true;
    const queued = await sendPending();
    await sys.brokers.userstats.stop();
    smtp.refusing = false;
    // A new userstats node on the same data folder (what a restart of the process is).
    extraBroker = new ServiceBroker(
      brokerOptions(sys.config, {
        nodeID: `userstats-2-${sys.config.moleculer.namespace}`,
        logger: false,
        skipProcessEventRegistration: true,
      }),
    );
    extraBroker.createService(createUserStatsService(sys.config));
    await extraBroker.start();
    await waitFor(
      async () => (await record(queued.id).catch(() => undefined))?.status === "sent",
      20_000,
      "delivery after restart",
    );
    expect(copiesOf(queued)).toBe(1);
  });
});

describe("a mail server that refuses outright, with one attempt allowed", () => {
  let refusing: SmtpReceiver;
  let strict: TestSystem;
  beforeAll(async () => {
    refusing = await startSmtpReceiver();
    refusing.refusing = true;
    strict = await startSystem({
      SMTP_URL: refusing.url,
      REPORT_TO: "boss@example.com",
      REPORT_MAX_ATTEMPTS: "1",
      REPORT_RETRY_BASE_MS: "100",
      REPORT_RETRY_MAX_MS: "200",
    });
  });
  afterAll(async () => {
    await strict?.stop();
    await refusing?.close();
    if (strict)
      await deleteTopics([strict.config.kafka.topic, dlqTopic(strict.config.kafka.topic)]);
  });
  const listed = async (id: number): Promise<ReportRecord | undefined> =>
    ((await http(strict.baseUrl, "/reports")).body as { reports: ReportRecord[] }).reports.find(
      r => r.id === id,
    );

  it("keeps retrying past its attempts while the server says 'try later', and gives up at its first outright refusal", async () => {
    refusing.refuseWith = 451;
    const res = await http(strict.baseUrl, "/report/send", { method: "POST" });
    expect(res.status).toBe(202);
    const { id } = res.body as ReportRecord;
    await waitFor(
      async () => {
        const r = await listed(id);
        return r !== undefined && r.status === "pending" && r.attempts >= 3;
      },
      10_000,
      "three attempts refused for now, the report still pending",
    );
    refusing.refuseWith = 550;
    const failed = await waitFor(
      async () => {
        const r = await listed(id);
        return r?.status === "failed" ? r : undefined;
      },
      10_000,
      "the report to fail at the outright refusal",
    );
    expect(failed.error).toMatch(/550|unavailable/i);
    expect(failed.nextAttemptAt).toBeNull();
    expect(refusing.mails).toHaveLength(0);
  });

  it("answers 502 REPORT_NOT_SENT to a report refused outright, and the history keeps it as failed", async () => {
    refusing.refuseWith = 550;
    const res = await http(strict.baseUrl, "/report/send", { method: "POST" });
    expect(res.status).toBe(502);
    const { error } = res.body as {
      error: { type: string; message: string; data: { id: number; attempts: number } };
    };
    expect(error.type).toBe("REPORT_NOT_SENT");
    expect(error.message).toMatch(/550|unavailable/i);
    expect(error.data.attempts).toBe(1);
    expect(await listed(error.data.id)).toMatchObject({ status: "failed", attempts: 1 });
    expect(refusing.mails).toHaveLength(0);
    expect((await http(strict.baseUrl, "/healthcheck")).status).toBe(200);
  });
});
