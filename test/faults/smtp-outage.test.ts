// SMTP down at report time, and userstats killed while the report waits: the report is delivered
// once SMTP is back, exactly once.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ReportRecord } from "../../lib/outbox";
import { waitFor } from "../../lib/retry";
import { startSmtpReceiver, type SmtpReceiver } from "../helpers/smtp";
import { record, startFaultSystem, type FaultSystem } from "./harness";

let sys: FaultSystem;
let smtp: SmtpReceiver;
beforeAll(async () => {
  smtp = await startSmtpReceiver();
  sys = await startFaultSystem({
    SMTP_URL: smtp.url,
    REPORT_TO: "boss@example.com",
    REPORT_RETRY_BASE_MS: "300",
    REPORT_RETRY_MAX_MS: "2000",
  });
});
afterAll(async () => {
  await sys?.stop();
  await smtp?.close();
});

it("delivers a report sent during an SMTP outage once SMTP is back, across a kill -9, exactly once", async () => {
  const started = Date.now();
  expect((await fetch(`${sys.baseUrl}/submit/1000`)).status).toBe(202);
  await waitFor(async () => (await sys.report()).total === 1000, 60_000, "1,000 users");
  smtp.refusing = true;
  const res = await fetch(`${sys.baseUrl}/report/send`, { method: "POST" });
  expect(res.status).toBe(202);
  const queued = (await res.json()) as ReportRecord;
  expect(queued.status).toBe("pending");
  const status = async (): Promise<ReportRecord | undefined> => {
    const res = await fetch(`${sys.baseUrl}/reports`);
    if (res.status !== 200) throw new Error(`/reports answered ${res.status}`);
    return ((await res.json()) as { reports: ReportRecord[] }).reports.find(
      r => r.id === queued.id,
    );
  };
  await waitFor(
    async () => ((await status())?.attempts ?? 0) >= 2,
    30_000,
    "a retry while SMTP refuses",
  );
  sys.signal("userstats", "SIGKILL");
  await sys.waitExit("userstats");
  smtp.refusing = false;
  await sys.start();
  // Bounded above the outbox's claim (60 s), which holds the report should the kill have landed
  // during an attempt.
  await waitFor(
    async () => (await status())?.status === "sent",
    120_000,
    "delivery after the restart",
  );
  const copies = smtp.mails.filter(m => m.parsed.messageId === queued.messageId);
  expect(copies).toHaveLength(1);
  expect(copies[0]?.envelopeTo).toEqual(["boss@example.com"]);
  expect(copies[0]?.parsed.subject).toMatch(/1,000 users/);
  const final = await waitFor(status, 30_000, "the report's record");
  record("SMTP down at report time (and userstats killed while the report waited)", started, [
    `POST /report/send answered 202 pending; ${final?.attempts ?? "?"} attempts in all, across a kill -9 of userstats`,
    "delivered once SMTP accepted mail again: exactly one copy with the report's Message-ID, to its recipient",
  ]);
});
