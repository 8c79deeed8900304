// The batch consumer on the real Kafka, when kafkajs gives up on it: a consumer that crashed with
// an error kafkajs does not restart after (a TypeError in the handler) is started again, and the
// batch that failed is consumed, not lost.
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBatchConsumer, type RunningConsumer } from "../../lib/batch-consumer";
import { ensureTopic } from "../../lib/kafka";
import type { Log } from "../../lib/log";
import { waitFor } from "../../lib/retry";
import { deleteTopics, produceRaw } from "../helpers/kafka";
import { uniqueId } from "../helpers/net";

const topic = `batch-consumer-${uniqueId("t")}`;
const kafka = new Kafka({
  clientId: "batch-consumer-test",
  brokers: (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(","),
  logLevel: logLevel.NOTHING,
});
const logged: { level: string; message: string }[] = [];
const log: Log = {
  debug: () => undefined,
  info: () => undefined,
  warn: message => logged.push({ level: "warn", message }),
  error: message => logged.push({ level: "error", message }),
};
let running: RunningConsumer | undefined;

beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopic(admin, topic, 1);
  } finally {
    await admin.disconnect();
  }
});

afterAll(async () => {
  await running?.stop();
  await deleteTopics([topic]);
});

describe("startBatchConsumer", () => {
  it("starts a consumer kafkajs will not restart again, and the failed batch is consumed", async () => {
    await produceRaw(
      topic,
      Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    );
    const stored: string[] = [];
    let failed = 0;
    const crashedStates: string[] = [];
    running = await startBatchConsumer({
      kafka,
      groupId: uniqueId("group"),
      topic,
      decode: value => String(value),
      handle: records => {
        const batch = [...records];
        if (failed === 0) {
          failed++;
          // kafkajs deems a TypeError unrecoverable: CRASH with restart: false.
          throw new TypeError("a bug in the handler");
        }
        stored.push(...batch);
      },
      onInvalid: () => Promise.resolve(),
      log,
    });
    const consumer = running.consumer;
    await waitFor(
      () => {
        const s = running?.status();
        if (s?.state === "crashed") crashedStates.push(s.lastError ?? "");
        return stored.length === 5;
      },
      60_000,
      "the five records stored after the crash",
    );
    expect(failed).toBe(1);
    expect(stored).toEqual(["v0", "v1", "v2", "v3", "v4"]);
    expect(running.consumer).not.toBe(consumer);
    expect(crashedStates.some(e => /a bug in the handler/.test(e))).toBe(true);
    expect(logged.map(l => l.message)).toContain(
      "The Kafka consumer stopped for good: a new one starts soon.",
    );
    await waitFor(() => running?.status().state === "running", 30_000, "the new consumer to join");
    expect(running.status()).toMatchObject({ batches: 1, records: 5 });

    // More records reach the new consumer.
    await produceRaw(topic, [{ key: "k5", value: "v5" }]);
    await waitFor(() => stored.length === 6, 30_000, "the record after the relaunch");
    expect(stored.at(-1)).toBe("v5");
  });

  it("stops cleanly while a relaunch is waiting", async () => {
    const again = await startBatchConsumer({
      kafka,
      groupId: uniqueId("group"),
      topic,
      decode: value => String(value),
      handle: () => {
        throw new TypeError("always");
      },
      onInvalid: () => Promise.resolve(),
      log,
    });
    try {
      await waitFor(() => again.status().state === "crashed", 30_000, "the consumer to crash");
    } finally {
      await again.stop();
    }
    expect(again.status().state).toBe("stopped");
  });
});
