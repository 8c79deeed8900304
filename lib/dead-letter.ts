/**
 * The dead-letter topic of a topic: records a consumer could not decode go there unchanged, with
 * headers saying why and where they came from, so that nothing is dropped in silence and they can
 * be looked at (or fixed and sent again) later.
 */
import type { IHeaders, Message } from "kafkajs";
import type { InvalidRecord } from "./batch-consumer";

/** Name of the dead-letter topic of a topic. */
export const dlqTopic = (topic: string): string => `${topic}.dlq`;

/**
 * Most bytes of dead letters in one send. Kafka refuses a record batch over the broker's
 * `message.max.bytes` (1 MiB by default) with MESSAGE_TOO_LARGE, an error the consumer does not
 * retry: one fetch (up to 2 MiB) of invalid records sent at once would stop consumption.
 */
export const DEAD_LETTER_SEND_BYTES = 900 * 1024;

/** Per record and per header: Kafka's own fields (lengths, offsets, attributes), generously. */
const RECORD_OVERHEAD = 64;
const HEADER_OVERHEAD = 8;

function length(value: Buffer | string | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === "string" ? Buffer.byteLength(value) : value.length;
}

/** About the bytes a message takes in a record batch. */
export function messageBytes(m: Message): number {
  let bytes = RECORD_OVERHEAD + length(m.key) + length(m.value);
  for (const [name, value] of Object.entries(m.headers ?? {})) {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) bytes += HEADER_OVERHEAD + length(name) + length(v);
  }
  return bytes;
}

/**
 * The dead-letter messages of records that failed to decode: key, value and headers kept. A record
 * that would not fit one send with the headers added (one of nearly the broker's limit) keeps the
 * start of its value that fits; `dlq-value-bytes` then says how long the whole was, and the whole
 * stays in the source topic at `dlq-source-offset` until its retention ends.
 */
export function deadLetterMessages(
  records: readonly InvalidRecord[],
  at: Date,
  maxBytes = DEAD_LETTER_SEND_BYTES,
): Message[] {
  return records.map(r => {
    const headers: IHeaders = {
      ...r.message.headers,
      "dlq-reason": r.error.message,
      "dlq-details": JSON.stringify((r.error as { data?: unknown }).data ?? null),
      "dlq-source-topic": r.topic,
      "dlq-source-partition": String(r.partition),
      "dlq-source-offset": r.offset,
      "dlq-at": at.toISOString(),
    };
    const message: Message = { key: r.message.key, value: r.message.value, headers };
    const over = messageBytes(message) - maxBytes;
    if (over <= 0 || r.message.value === null) return message;
    const whole = r.message.value;
    headers["dlq-value-bytes"] = String(whole.length);
    // The header just added counts too.
    const keep = Math.max(0, whole.length - over - HEADER_OVERHEAD - 32);
    return { ...message, value: whole.subarray(0, keep) };
  });
}

/** Messages in groups of at most `maxBytes` each (a message bigger than that alone in its group). */
export function inSends(
  messages: readonly Message[],
  maxBytes = DEAD_LETTER_SEND_BYTES,
): Message[][] {
  const sends: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = messageBytes(m);
    if (current.length > 0 && bytes + size > maxBytes) {
      sends.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0) sends.push(current);
  return sends;
}
