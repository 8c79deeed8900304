// Kafka helpers for tests: read a topic from the beginning, produce raw records, delete topics.
import { Kafka, logLevel, Partitioners, type IHeaders, type KafkaMessage } from "kafkajs";
import { uniqueId } from "./net";

export const testKafka = (): Kafka =>
  new Kafka({
    clientId: "tests",
    brokers: (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(","),
    logLevel: logLevel.NOTHING,
  });

/** Reads records from the beginning of a topic until `count` have arrived (or the timeout passes). */
export async function readTopic(
  topic: string,
  count: number,
  timeoutMs = 30_000,
): Promise<KafkaMessage[]> {
  const consumer = testKafka().consumer({ groupId: uniqueId("reader"), maxWaitTimeInMs: 200 });
  const seen: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`read ${seen.length} of ${count} records of ${topic} in ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
      void consumer.run({
        eachMessage: ({ message }) => {
          seen.push(message);
          if (seen.length >= count) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

/** Produces raw records (value as given) to a topic. */
export async function produceRaw(
  topic: string,
  records: { key?: string; value: string | Buffer | null; headers?: IHeaders }[],
): Promise<void> {
  const producer = testKafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: records });
  } finally {
    await producer.disconnect();
  }
}

/** Deletes topics, ignoring ones that do not exist. */
export async function deleteTopics(topics: string[]): Promise<void> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter(t => existing.has(t));
    if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 10_000 });
  } finally {
    await admin.disconnect();
  }
}
