/**
 * The ingest baseline: a bare kafkajs producer and consumer moving the same events through the same
 * broker, with no RPC, no validation and no SQLite. Measured from the first send until the consumer
 * has seen every event.
 */
import { randomUUID } from "node:crypto";
import { Kafka, logLevel, Partitioners, type Message } from "kafkajs";

export async function kafkaBaseline(opts: {
  brokers: string[];
  messages: Message[];
  partitions: number;
  batch: number;
}): Promise<{
  eventsPerSec: number;
  seconds: number;
}> {
  const kafka = new Kafka({
    clientId: "bench-baseline",
    brokers: opts.brokers,
    logLevel: logLevel.NOTHING,
  });
  const topic = `bench-baseline-${randomUUID()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: opts.partitions, replicationFactor: 1 }],
  });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const consumer = kafka.consumer({
    groupId: topic,
    maxBytesPerPartition: 4 * 1024 * 1024,
    maxWaitTimeInMs: 100,
  });
  await Promise.all([producer.connect(), consumer.connect()]);
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  let done!: () => void;
  const allSeen = new Promise<void>(resolve => (done = resolve));
  await consumer.run({
    eachBatch: ({ batch }) => {
      seen += batch.messages.length;
      if (seen >= opts.messages.length) done();
      return Promise.resolve();
    },
  });
  const started = process.hrtime.bigint();
  for (let i = 0; i < opts.messages.length; i += opts.batch) {
    await producer.send({ topic, acks: -1, messages: opts.messages.slice(i, i + opts.batch) });
  }
  await allSeen;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await Promise.all([consumer.disconnect(), producer.disconnect()]);
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
  return { eventsPerSec: opts.messages.length / seconds, seconds };
}
