/**
 * The project's Kafka module: client creation with logs routed to the service logger, and topic
 * creation. Producing lives in batching-producer.ts, consuming in batch-consumer.ts.
 */
import { Kafka, logLevel, type Admin, type LogEntry } from "kafkajs";
import type { Log } from "./log";

export interface KafkaOptions {
  brokers: readonly string[];
  clientId: string;
  log: Log;
  /** Milliseconds to wait for a TCP connection to a broker. */
  connectionTimeoutMs?: number;
}

/** A kafkajs client whose log lines go to the given logger (kafkajs INFO is noisy: it maps to debug). */
export function createKafka(opts: KafkaOptions): Kafka {
  const { log } = opts;
  return new Kafka({
    clientId: opts.clientId,
    brokers: [...opts.brokers],
    connectionTimeout: opts.connectionTimeoutMs ?? 3000,
    logLevel: logLevel.INFO,
    logCreator:
      () =>
      ({ namespace, level, log: entry }: LogEntry) => {
        const { message, ...extra } = entry;
        const text = `kafkajs ${namespace}: ${message}`;
        if (level === logLevel.ERROR) log.error(text, extra);
        else if (level === logLevel.WARN) log.warn(text, extra);
        else log.debug(text, extra);
      },
    retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 5000 },
  });
}

/** Creates the topic when missing (waiting for its leaders); returns whether it was created. */
export async function ensureTopic(
  admin: Admin,
  topic: string,
  partitions: number,
): Promise<boolean> {
  const existing = await admin.listTopics();
  if (existing.includes(topic)) return false;
  try {
    return await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: partitions, replicationFactor: -1 }],
    });
  } catch (err) {
    // Another service may have created it between listTopics and createTopics.
    if ((await admin.listTopics()).includes(topic)) return false;
    throw err;
  }
}

/** Consumer lag of a group on a topic: messages written but not yet committed, summed over partitions. */
export async function consumerLag(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [ends, committed] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const done = new Map<number, number>();
  for (const p of committed[0]?.partitions ?? []) done.set(p.partition, Number(p.offset));
  let lag = 0;
  for (const p of ends) {
    const end = Number(p.high);
    const at = done.get(p.partition) ?? -1;
    const low = Number(p.low);
    lag += at < 0 ? end - low : Math.max(0, end - at);
  }
  return lag;
}
