/**
 * Delivers reports: by email through SMTP (nodemailer) when SMTP_URL is set, otherwise into the log,
 * as the original system did. Connection options can ride on the URL's query string, e.g.
 * smtp://127.0.0.1:1025/?ignoreTLS=true for a local mail catcher.
 */
import nodemailer from "nodemailer";
import type { Log } from "./log";

export interface OutgoingMail {
  subject: string;
  /** A Message-ID to use (lets mail clients recognise a resent duplicate). */
  messageId?: string;
  text: string;
  html?: string;
  attachments?: { filename: string; content: string | Buffer; contentType: string }[];
}

export interface Delivery {
  /** "smtp" when the mail server accepted it, "log" when written to the log instead. */
  via: "smtp" | "log";
  to: string[];
  messageId?: string;
}

export interface Mailer {
  /** How it delivers: by email, or into the log (no SMTP_URL). */
  readonly via: "smtp" | "log";
  deliver(mail: OutgoingMail): Promise<Delivery>;
  /** Throws unless the SMTP server answers (always passes for the log mailer). */
  verify(): Promise<void>;
  close(): void;
}

export interface MailerOptions {
  smtpUrl: string | undefined;
  from: string;
  to: readonly string[];
  log: Log;
  /** Milliseconds allowed for connecting and for each SMTP exchange. Default 10 s. */
  timeoutMs?: number;
}

/** An SMTP mailer for smtpUrl, or a mailer that logs when it is undefined. */
export function createMailer(opts: MailerOptions): Mailer {
  const { log } = opts;
  if (opts.smtpUrl === undefined) {
    return {
      via: "log",
      deliver(mail) {
        log.info(
          `Report (no SMTP_URL set, so logged instead of emailed): ${mail.subject}\n${mail.text}`,
        );
        return Promise.resolve({ via: "log", to: [] });
      },
      verify: () => Promise.resolve(),
      close: () => undefined,
    };
  }
  const timeout = opts.timeoutMs ?? 10_000;
  // Every phase is bounded, so that a dead mail server fails a send instead of hanging it.
  const transport = nodemailer.createTransport(
    {
      url: opts.smtpUrl,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
    },
    { from: opts.from },
  );
  return {
    via: "smtp",
    async deliver(mail) {
      const info = await transport.sendMail({ to: [...opts.to], ...mail });
      log.info("Report emailed.", {
        subject: mail.subject,
        to: opts.to,
        messageId: info.messageId,
      });
      return { via: "smtp", to: [...opts.to], messageId: info.messageId };
    },
    async verify() {
      await transport.verify();
    },
    close() {
      transport.close();
    },
  };
}
