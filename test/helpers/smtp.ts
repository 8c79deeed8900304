// A real SMTP receiver inside the test process (smtp-server), parsing each mail with mailparser.
import type { AddressInfo } from "node:net";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  envelopeFrom: string;
  envelopeTo: string[];
  raw: string;
  parsed: ParsedMail;
}

export interface SmtpReceiver {
  url: string;
  port: number;
  mails: ReceivedMail[];
  /** While true, every mail is refused with `refuseWith`. */
  refusing: boolean;
  /** The SMTP reply code of a refusal: 451 (try later, the default) or a 5xx (refused outright). */
  refuseWith: number;
  /** While true, the reply to each mail's data is held back (a mail server slow to answer). */
  holding: boolean;
  /** Sends the replies held back so far and stops holding. */
  release(): void;
  close(): Promise<void>;
}

/** Starts an SMTP server on a free port of 127.0.0.1 that accepts any mail without auth. */
export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const mails: ReceivedMail[] = [];
  const held: (() => void)[] = [];
  const receiver = { mails, refusing: false, refuseWith: 451, holding: false } as SmtpReceiver;
  receiver.release = () => {
    receiver.holding = false;
    for (const reply of held.splice(0)) reply();
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        if (receiver.holding) {
          held.push(() => finish());
          return;
        }
        finish();
      });
      const finish = () => {
        if (receiver.refusing) {
          const err = new Error(
            receiver.refuseWith >= 500 ? "Mailbox unavailable" : "Mailbox temporarily unavailable",
          ) as Error & { responseCode: number };
          err.responseCode = receiver.refuseWith;
          callback(err);
          return;
        }
        const raw = Buffer.concat(chunks).toString("utf8");
        simpleParser(raw)
          .then(parsed => {
            mails.push({
              envelopeFrom:
                session.envelope.mailFrom === false ? "" : session.envelope.mailFrom.address,
              envelopeTo: session.envelope.rcptTo.map(r => r.address),
              raw,
              parsed,
            });
            callback();
          })
          .catch((err: Error) => callback(err));
      };
    },
  });
  await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  receiver.port = port;
  receiver.url = `smtp://127.0.0.1:${port}/?ignoreTLS=true`;
  receiver.close = () => new Promise<void>(resolve => server.close(() => resolve()));
  return receiver;
}
