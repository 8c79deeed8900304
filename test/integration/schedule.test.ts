// The report schedule (REPORT_CRON, node-schedule) on the real system: a scheduled report is built,
// stored and mailed to a real SMTP receiver by itself, and the schedule ends when userstats stops.
import schedule from "node-schedule";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dlqTopic } from "../../lib/dead-letter";
import type { ReportRecord } from "../../lib/outbox";
import { waitFor } from "../../lib/retry";
import { deleteTopics } from "../helpers/kafka";
import { startSmtpReceiver, type SmtpReceiver } from "../helpers/smtp";
import { http, startSystem, type TestSystem } from "../helpers/system";

let sys: TestSystem | undefined;
let topic: string | undefined;
let smtp: SmtpReceiver;
const USERS = 12;

beforeAll(async () => {
  smtp = await startSmtpReceiver();
  sys = await startSystem({
    SMTP_URL: smtp.url,
    REPORT_TO: "managers@example.com",
    // Six fields: every second.
    REPORT_CRON: "* * * * * *",
  });
  topic = sys.config.kafka.topic;
});

afterAll(async () => {
  await sys?.stop();
  await smtp?.close();
  if (topic !== undefined) await deleteTopics([topic, dlqTopic(topic)]);
});

describe("report schedule", () => {
  it("mails scheduled reports by itself, with the users counted so far, until userstats stops", async () => {
    const system = sys!;
    expect((await http(system.baseUrl, `/submit/${USERS}`)).status).toBe(202);
    // No request asks for it: the schedule alone sends a report that counts the new users.
    const mail = await waitFor(
      () => smtp.mails.find(m => m.parsed.subject?.endsWith(`: ${USERS} users`)),
      20_000,
      "a scheduled report of the new users",
    );
    expect(mail.envelopeTo).toEqual(["managers@example.com"]);
    // The receiver has the mail before userstats hears its 250: the record follows.
    const history = await waitFor(
      async () => {
        const { reports } = (await http(system.baseUrl, "/reports?limit=200")).body as {
          reports: ReportRecord[];
        };
        const stored = reports.find(r => r.messageId === mail.parsed.messageId);
        return stored?.status === "sent" ? { reports, stored } : undefined;
      },
      10_000,
      "the mailed report recorded as sent",
    );
    expect(new Set(history.reports.map(r => r.trigger))).toEqual(new Set(["schedule"]));
    expect(history.stored).toMatchObject({ trigger: "schedule", status: "sent", total: USERS });

    // Stopping userstats cancels its schedule: no job of it is left to fire.
    const jobs = Object.keys(schedule.scheduledJobs).length;
    expect(jobs).toBeGreaterThan(0);
    sys = undefined;
    await system.stop();
    expect(Object.keys(schedule.scheduledJobs)).toHaveLength(jobs - 1);
  });
});
