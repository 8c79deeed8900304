/**
 * The dead-letter topic of a topic: records a consumer could not decode go there unchanged, with
 * headers saying why and where they came from, so that nothing is dropped in silence and they can
 * be looked at (or fixed and sent again) later.
 */
import type { Message } from "kafkajs";
import type { InvalidRecord } from "./batch-consumer";

/** Name of the dead-letter topic of a topic. */
export const dlqTopic = (topic: string): string => `${topic}.dlq`;

/** The dead-letter messages of records that failed to decode: key, value and headers kept. */
export function deadLetterMessages(records: readonly InvalidRecord[], at: Date): Message[] {
  return records.map(r => ({
    key: r.message.key,
    value: r.message.value,
    headers: {
      ...r.message.headers,
      "dlq-reason": r.error.message,
      "dlq-details": JSON.stringify((r.error as { data?: unknown }).data ?? null),
      "dlq-source-topic": r.topic,
      "dlq-source-partition": String(r.partition),
      "dlq-source-offset": r.offset,
      "dlq-at": at.toISOString(),
    },
  }));
}
