/**
 * The project's Kafka module: client creation with logs routed to the service logger, a service's
 * connection (admin clients, producer, its topics), topic creation and consumer lag. Batching
 * produce requests lives in batching-producer.ts, consuming in batch-consumer.ts.
 */
import { Kafka, logLevel, type Admin, type LogEntry, type Producer } from "kafkajs";
import type { Log } from "./log";
import { KeyHashPartitioner } from "./partitioner";
import { retryUntil } from "./retry";

export interface KafkaOptions {
  brokers: readonly string[];
  clientId: string;
  log: Log;
  /** Milliseconds to wait for a TCP connection to a broker. */
  connectionTimeoutMs?: number;
}

/**
 * Broker answers that mean "not ready yet" (a fresh broker still electing leaders or creating its
 * offsets topic) and that kafkajs retries by itself. It logs each at ERROR all the same; here they
 * are warnings. Should the retries run out, the caller's own error is logged as one.
 */
const TRANSIENT_ANSWER =
  /coordinator is (?:not available|loading)|not the correct coordinator|not the leader for that topic-partition|no leader for this topic-partition/i;

/** The level a kafkajs log line gets here (kafkajs INFO is noisy: it maps to debug). */
export function kafkaLogLevel(
  namespace: string,
  level: logLevel,
  entry: { message: string; error?: unknown },
): keyof Log {
  if (level === logLevel.ERROR) {
    const transient =
      namespace === "Connection" &&
      entry.message.startsWith("Response ") &&
      typeof entry.error === "string" &&
      TRANSIENT_ANSWER.test(entry.error);
    return transient ? "warn" : "error";
  }
  return level === logLevel.WARN ? "warn" : "debug";
}

/** A kafkajs client whose log lines go to the given logger, at the levels kafkaLogLevel gives. */
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
        log[kafkaLogLevel(namespace, level, entry)](`kafkajs ${namespace}: ${message}`, extra);
      },
    retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 5000 },
  });
}

export interface KafkaConnection {
  kafka: Kafka;
  /** For topics and offsets; retries like every client. */
  admin: Admin;
  /** For health checks: answers at once instead of retrying for seconds. */
  healthAdmin: Admin;
  /** Keyed messages go to the partition Kafka's own clients would pick (lib/partitioner.ts). */
  producer: Producer;
  /** Disconnects the producer and the admin clients (stop the consumers and flush first). */
  close(): Promise<void>;
}

/**
 * Connects a service to Kafka: waits for the brokers with bounded retries and a log line per attempt
 * (a service may start before Kafka), creates its topics when missing, and connects a producer and
 * two admin clients. Disconnects what it connected if it gives up.
 */
export async function connectKafka(opts: {
  brokers: readonly string[];
  clientId: string;
  topics: readonly { topic: string; partitions: number }[];
  timeoutMs: number;
  log: Log;
}): Promise<KafkaConnection> {
  const { log } = opts;
  const kafka = createKafka({ brokers: opts.brokers, clientId: opts.clientId, log });
  const admin = kafka.admin();
  const healthAdmin = kafka.admin({ retry: { retries: 0 } });
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: KeyHashPartitioner,
  });
  // Each client is disconnected even when another one fails to; the first failure is reported.
  const close = async (): Promise<void> => {
    const results = await Promise.allSettled([
      producer.disconnect(),
      healthAdmin.disconnect(),
      admin.disconnect(),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  };
  try {
    await retryUntil(
      async () => {
        await admin.connect();
        for (const { topic, partitions } of opts.topics) {
          if (await ensureTopic(admin, topic, partitions))
            log.info(`Created Kafka topic "${topic}".`, { partitions });
        }
        await producer.connect();
      },
      { what: `Kafka at ${opts.brokers.join(",")}`, timeoutMs: opts.timeoutMs, log },
    );
    await healthAdmin.connect();
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
  return { kafka, admin, healthAdmin, producer, close };
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
