/**
 * A Kafka consumer that hands whole batches of records to a handler and marks them consumed only
 * after the handler returned: with a handler that writes one database transaction, an offset is
 * never committed for data that is not stored. The handler gets the batch as an iterable that
 * decodes each record when it is reached, so that a batch of decoded records is never held at once
 * (measured: userstats peak heap ~50 MB instead of ~65 during a long ingest). Records that do not
 * decode go to `onInvalid` (a dead-letter topic, say) after the handler stored the others, before
 * the offsets are committed; they never stop the consumer.
 */
import type { Admin, Consumer, ConsumerConfig, Kafka, KafkaMessage } from "kafkajs";
import type { ConsumerPosition, OffsetStore } from "./consumer-offsets";
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
  /**
   * Stores the records of one batch; must be all-or-nothing (one transaction). The iterable decodes
   * as it goes and can be walked once; records that do not decode are skipped (and go to onInvalid).
   * `position` is where the consumer stands once the batch is stored (to keep in the same
   * transaction, for alignGroupWithStore).
   */
  handle: (records: Iterable<T>, position: ConsumerPosition) => void | Promise<void>;
  /** Deals with records that failed to decode, before their offsets are committed. */
  onInvalid: (records: InvalidRecord[]) => Promise<void>;
  log: Log;
  /** Most bytes one fetch brings. Default 2 MiB. */
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
  /** The kafkajs consumer running now (a new one after each relaunch). */
  readonly consumer: Consumer;
  status(): ConsumerStatus;
  /** Stops fetching, lets the current batch finish, commits its offsets and leaves the group. */
  stop(): Promise<void>;
}

/** Waits before relaunching a consumer kafkajs gave up on: 1 s, doubling, at most 30 s. */
export const relaunchDelayMs = (attempt: number): number =>
  Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5));

/**
 * Connects, subscribes from the beginning (for a new group) and starts consuming. Resolves once
 * connected and subscribed, without waiting to join the group: after a crash, joining waits for the
 * dead member's session to time out (10 s), and the service should answer meanwhile (its health
 * check says `starting` until the consumer joined).
 *
 * kafkajs restarts a consumer after a retriable error by itself, but not after one it deems
 * unrecoverable (a TypeError in the handler, a request the broker refuses for good): that consumer
 * would stay stopped while the process goes on answering with counts that no longer move. Such a
 * consumer is relaunched here, after 1 s, then 2, 4 … up to 30 s while it keeps failing (the
 * status says `crashed` meanwhile); a stored batch starts the count again. Nothing committed is
 * lost: the batch that failed was not marked consumed and is fetched again.
 */
export async function startBatchConsumer<T>(
  opts: BatchConsumerOptions<T>,
): Promise<RunningConsumer> {
  const { log } = opts;
  const status: ConsumerStatus = { state: "starting", batches: 0, records: 0, invalid: 0 };
  let current: Consumer | undefined;
  let stopping = false;
  let failures = 0;
  let relaunchTimer: NodeJS.Timeout | undefined;
  let relaunching: Promise<void> | undefined;

  const crashed = (error: string): void => {
    status.state = "crashed";
    status.lastError = error;
  };

  const relaunchLater = (): void => {
    if (stopping || relaunchTimer !== undefined || relaunching !== undefined) return;
    const inMs = relaunchDelayMs(failures++);
    log.warn("The Kafka consumer stopped for good: a new one starts soon.", {
      inMs,
      error: status.lastError,
    });
    relaunchTimer = setTimeout(() => {
      relaunchTimer = undefined;
      relaunching = (async () => {
        await current?.disconnect().catch(() => undefined);
        if (!stopping) await launch();
      })().then(
        () => {
          relaunching = undefined;
        },
        (err: unknown) => {
          relaunching = undefined;
          crashed(err instanceof Error ? err.message : String(err));
          log.error("The Kafka consumer could not be started again.", { error: status.lastError });
          relaunchLater();
        },
      );
    }, inMs);
  };

  async function launch(): Promise<void> {
    const consumer = opts.kafka.consumer({
      groupId: opts.groupId,
      maxWaitTimeInMs: 500,
      // By default a fetch brings at most 2 MiB (~12,000 events): batches big enough that one
      // transaction per batch costs nothing measurable, and ~20 MB less resident memory than 6 MiB
      // fetches at the same ingest rate (docs/BENCHMARKS.md).
      maxBytesPerPartition: Math.min(2 * 1024 * 1024, opts.fetchMaxBytes ?? 2 * 1024 * 1024),
      maxBytes: opts.fetchMaxBytes ?? 2 * 1024 * 1024,
      sessionTimeout: 10_000,
      rebalanceTimeout: 20_000,
      heartbeatInterval: 1000,
      allowAutoTopicCreation: false,
      ...opts.consumerConfig,
    });
    current = consumer;
    consumer.on(consumer.events.CRASH, e => {
      crashed(e.payload.error.message);
      log.error("Kafka consumer crashed.", {
        error: e.payload.error.message,
        restart: e.payload.restart,
      });
      if (!e.payload.restart && consumer === current) relaunchLater();
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
    const running = consumer.run({
      autoCommit: true,
      autoCommitInterval: 1000,
      eachBatchAutoResolve: false,
      eachBatch: async payload => {
        const { batch } = payload;
        if (!payload.isRunning() || payload.isStale() || batch.messages.length === 0) return;
        const invalid: InvalidRecord[] = [];
        let decoded = 0;
        let walked = false;
        function* decodeEach(): Generator<T> {
          for (const message of batch.messages) {
            let record: T;
            try {
              record = opts.decode(message.value);
            } catch (err) {
              invalid.push({
                topic: batch.topic,
                partition: batch.partition,
                offset: message.offset,
                message,
                error: err instanceof Error ? err : new Error(String(err)),
              });
              continue;
            }
            decoded++;
            yield record;
          }
          walked = true;
        }
        const records = decodeEach();
        await opts.handle(records, {
          topic: batch.topic,
          partition: batch.partition,
          nextOffset: Number(batch.lastOffset()) + 1,
        });
        // Committing a batch the handler did not walk to its end would lose the rest of it.
        if (!walked)
          throw new Error("The batch handler returned before reaching the end of the batch.");
        if (invalid.length > 0) await opts.onInvalid(invalid);
        // Only now is the batch stored: mark it consumed.
        payload.resolveOffset(batch.lastOffset());
        failures = 0;
        status.batches++;
        status.records += decoded;
        status.invalid += invalid.length;
        status.lastBatchAt = new Date().toISOString();
        await payload.commitOffsetsIfNecessary();
        await payload.heartbeat();
      },
    });

    // A consumer that cannot start says so in its status (and the health check), not as a
    // rejection, and is started again.
    void running.catch((err: unknown) => {
      crashed(err instanceof Error ? err.message : String(err));
      log.error("Kafka consumer could not start.", { error: status.lastError });
      if (consumer === current) relaunchLater();
    });
  }

  await launch();

  return {
    get consumer() {
      return current as Consumer;
    },
    status: () => ({ ...status }),
    async stop() {
      stopping = true;
      clearTimeout(relaunchTimer);
      relaunchTimer = undefined;
      await relaunching;
      // kafkajs waits for the running eachBatch, commits resolved offsets and leaves the group.
      // (A join still under way then fails; its handler above records that, nothing waits for it.)
      await current?.disconnect();
      status.state = "stopped";
    },
  };
}

/**
 * Run before the consumer joins: makes the group start where the store stands. Where the group's
 * committed position in a partition is past what the store holds (its file was lost, or restored
 * from an older copy), moves the group back to the store's position (or to the oldest record Kafka
 * still has), so that those events are consumed again instead of skipped; the store counts each id
 * once. Where the store is ahead (a batch stored, then a crash before the commit), Kafka's position
 * stands: the redelivery changes nothing. Where the group has no position (new, deleted, or its
 * offsets expired while the service was down) but the store has one, the group starts there rather
 * than from the beginning. Needs the group to have no live member (throws otherwise; retry until
 * the old one is gone). Returns the partitions it moved.
 */
export async function alignGroupWithStore(
  admin: Admin,
  groupId: string,
  topic: string,
  store: OffsetStore,
  log: Log,
): Promise<{ partition: number; from: number | null; to: number }[]> {
  const [fetched] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const committed = new Map<number, number>();
  for (const p of fetched?.partitions ?? []) {
    const offset = Number(p.offset);
    if (offset >= 0) committed.set(p.partition, offset); // -1: nothing committed yet
  }
  if (!store.tracksOffsets) {
    if (committed.size > 0) store.adoptOffsets(topic, committed);
    log.info("The store kept no consumer positions yet: it takes the group's as its own.", {
      groupId,
      topic,
      partitions: committed.size,
    });
    return [];
  }
  const stored = store.storedOffsets(topic);
  if (committed.size === 0 && stored.size === 0) return []; // both new: from the beginning
  const ends = new Map(
    (await admin.fetchTopicOffsets(topic)).map(p => [
      p.partition,
      { low: Number(p.low), high: Number(p.high) },
    ]),
  );
  const moves: { partition: number; from: number | null; to: number }[] = [];
  for (const [partition, { low, high }] of ends) {
    const mine = stored.get(partition);
    const at = committed.get(partition);
    if (at === undefined) {
      // No group position: it would start from the oldest record. Start from the store's instead,
      // unless the topic no longer holds it (past its end: the topic was recreated).
      if (mine !== undefined && mine > low && mine <= high)
        moves.push({ partition, from: null, to: mine });
    } else {
      const to = Math.max(mine ?? 0, low);
      if (to < at) moves.push({ partition, from: at, to });
    }
  }
  if (moves.length === 0) return [];
  log.warn(
    "The consumer group's position differs from what the store holds (its file is new or older, " +
      "or the group's offsets are gone): the group starts where the store stands.",
    { groupId, topic, moves },
  );
  await admin.setOffsets({
    groupId,
    topic,
    partitions: moves.map(m => ({ partition: m.partition, offset: String(m.to) })),
  });
  return moves;
}
