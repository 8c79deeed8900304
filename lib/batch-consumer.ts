/**
 * A Kafka consumer that hands whole batches of decoded records to a handler and marks them consumed
 * only after the handler returned: with a handler that writes one database transaction, an offset is
 * never committed for data that is not stored. Records that do not decode go to `onInvalid` (a
 * dead-letter topic, say) and never stop the consumer.
 */
import type { Consumer, ConsumerConfig, Kafka, KafkaMessage } from "kafkajs";
import type { Log } from "./log";

export interface InvalidRecord {
  topic: string;
  partition: number;
  offset: string;
  message: KafkaMessage;
  error: Error;
}

export interface BatchConsumerOptions<T> {
  kafka: Kafka;
  groupId: string;
  topic: string;
  decode: (value: Buffer | null) => T;
  /** Stores the decoded records; must be all-or-nothing (one transaction). */
  handle: (records: T[]) => void | Promise<void>;
  /** Deals with records that failed to decode, before their offsets are committed. */
  onInvalid: (records: InvalidRecord[]) => Promise<void>;
  log: Log;
  /** Most bytes one fetch brings. Default 6 MiB. */
  fetchMaxBytes?: number;
  consumerConfig?: Partial<ConsumerConfig>;
}

export interface ConsumerStatus {
  state: "starting" | "running" | "crashed" | "stopped";
  lastError?: string;
  batches: number;
  records: number;
  invalid: number;
  lastBatchAt?: string;
}

export interface RunningConsumer {
  readonly consumer: Consumer;
  status(): ConsumerStatus;
  /** Stops fetching, lets the current batch finish, commits its offsets and leaves the group. */
  stop(): Promise<void>;
}

/** Connects, subscribes from the beginning (for a new group) and starts consuming. */
export async function startBatchConsumer<T>(
  opts: BatchConsumerOptions<T>,
): Promise<RunningConsumer> {
  const { log } = opts;
  const consumer = opts.kafka.consumer({
    groupId: opts.groupId,
    maxWaitTimeInMs: 500,
    // By default a fetch brings at most ~6 MiB (~35,000 events): large batches, bounded memory.
    maxBytesPerPartition: Math.min(2 * 1024 * 1024, opts.fetchMaxBytes ?? 6 * 1024 * 1024),
    maxBytes: opts.fetchMaxBytes ?? 6 * 1024 * 1024,
    sessionTimeout: 10_000,
    rebalanceTimeout: 20_000,
    heartbeatInterval: 1000,
    allowAutoTopicCreation: false,
    ...opts.consumerConfig,
  });
  const status: ConsumerStatus = { state: "starting", batches: 0, records: 0, invalid: 0 };
  consumer.on(consumer.events.CRASH, e => {
    status.state = "crashed";
    status.lastError = e.payload.error.message;
    log.error("Kafka consumer crashed.", {
      error: e.payload.error.message,
      restart: e.payload.restart,
    });
  });
  consumer.on(consumer.events.GROUP_JOIN, e => {
    status.state = "running";
    status.lastError = undefined;
    log.info("Kafka consumer joined its group.", {
      groupId: e.payload.groupId,
      assignment: e.payload.memberAssignment,
    });
  });

  await consumer.connect();
  await consumer.subscribe({ topics: [opts.topic], fromBeginning: true });
  await consumer.run({
    autoCommit: true,
    autoCommitInterval: 1000,
    eachBatchAutoResolve: false,
    eachBatch: async payload => {
      const { batch } = payload;
      if (!payload.isRunning() || payload.isStale() || batch.messages.length === 0) return;
      const records: T[] = [];
      const invalid: InvalidRecord[] = [];
      for (const message of batch.messages) {
        try {
          records.push(opts.decode(message.value));
        } catch (err) {
          invalid.push({
            topic: batch.topic,
            partition: batch.partition,
            offset: message.offset,
            message,
            error: err instanceof Error ? err : new Error(String(err)),
          });
        }
      }
      if (invalid.length > 0) await opts.onInvalid(invalid);
      if (records.length > 0) await opts.handle(records);
      // Only now is the batch stored: mark it consumed.
      payload.resolveOffset(batch.lastOffset());
      status.batches++;
      status.records += records.length;
      status.invalid += invalid.length;
      status.lastBatchAt = new Date().toISOString();
      await payload.commitOffsetsIfNecessary();
      await payload.heartbeat();
    },
  });

  return {
    consumer,
    status: () => ({ ...status }),
    async stop() {
      // kafkajs waits for the running eachBatch, commits resolved offsets and leaves the group.
      await consumer.disconnect();
      status.state = "stopped";
    },
  };
}
