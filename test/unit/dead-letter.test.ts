import { describe, expect, it } from "vitest";
import type { KafkaMessage } from "kafkajs";
import {
  DEAD_LETTER_SEND_BYTES,
  deadLetterMessages,
  dlqTopic,
  inSends,
  messageBytes,
} from "../../lib/dead-letter";
import { InvalidEventError } from "../../lib/errors";

describe("dead-letter", () => {
  it("names a topic's dead-letter topic", () => {
    expect(dlqTopic("user-events")).toBe("user-events.dlq");
  });

  it("keeps a record's key, value and headers, and says why and where it came from", () => {
    const at = new Date("2026-11-27T10:00:00.000Z");
    const value = Buffer.from("{not json");
    const [message] = deadLetterMessages(
      [
        {
          topic: "user-events",
          partition: 3,
          offset: "1234",
          message: {
            key: Buffer.from("k1"),
            value,
            headers: { origin: "replay" },
            timestamp: "0",
            attributes: 0,
            offset: "1234",
          },
          error: new InvalidEventError("not JSON", [{ field: "body", message: "is not JSON" }]),
        },
      ],
      at,
    );
    expect(message).toEqual({
      key: Buffer.from("k1"),
      value,
      headers: {
        origin: "replay",
        "dlq-reason": "not JSON",
        "dlq-details": JSON.stringify([{ field: "body", message: "is not JSON" }]),
        "dlq-source-topic": "user-events",
        "dlq-source-partition": "3",
        "dlq-source-offset": "1234",
        "dlq-at": "2026-11-27T10:00:00.000Z",
      },
    });
  });

  const invalid = (offset: number, value: Buffer) => ({
    topic: "user-events",
    partition: 0,
    offset: String(offset),
    message: {
      key: Buffer.from(`k${offset}`),
      value,
      headers: {},
      timestamp: "0",
      attributes: 0,
      offset: String(offset),
    } as KafkaMessage,
    error: new Error("not a valid user event"),
  });
  const at = new Date("2026-11-27T10:00:00.000Z");

  it("splits the dead letters of a whole fetch into sends the broker takes, in offset order", () => {
    // 2 MiB of invalid records (what one fetch may bring): over the broker's 1 MiB limit at once.
    const records = Array.from({ length: 4096 }, (_, i) => invalid(i, Buffer.alloc(512, 0x7b)));
    const sends = inSends(deadLetterMessages(records, at));
    expect(sends.length).toBeGreaterThanOrEqual(3);
    for (const send of sends) {
      expect(send.reduce((sum, m) => sum + messageBytes(m), 0)).toBeLessThanOrEqual(
        DEAD_LETTER_SEND_BYTES,
      );
    }
    expect(sends.flat().map(m => String(m.key))).toEqual(records.map(r => `k${r.offset}`));
  });

  it("keeps the start of a record too big to send with its headers, and says how long it was", () => {
    const whole = Buffer.alloc(1_048_000, 0x61);
    const [cut, small] = deadLetterMessages([invalid(7, whole), invalid(8, Buffer.from("x"))], at);
    expect(messageBytes(cut!)).toBeLessThanOrEqual(DEAD_LETTER_SEND_BYTES);
    expect(cut!.headers?.["dlq-value-bytes"]).toBe("1048000");
    expect(cut!.headers?.["dlq-source-offset"]).toBe("7");
    expect(whole.subarray(0, (cut!.value as Buffer).length).equals(cut!.value as Buffer)).toBe(
      true,
    );
    expect((cut!.value as Buffer).length).toBeGreaterThan(DEAD_LETTER_SEND_BYTES - 1024);
    expect(small!.value).toEqual(Buffer.from("x"));
    expect(small!.headers).not.toHaveProperty("dlq-value-bytes");
    expect(inSends([cut!, small!])).toHaveLength(2);
  });
});
