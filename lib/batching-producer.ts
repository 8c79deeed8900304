/**
 * Coalesces many small `send` calls into few Kafka produce requests. When nothing is in flight a send
 * leaves at once (low latency); while requests are in flight, new messages gather into the next
 * batch (high throughput). Each batch stays under maxBatchBytes, below the broker's message size limit.
 */
import type { Message, Producer } from "kafkajs";

export interface BatchingProducerOptions {
  topic: string;
  /** Upper bound on the summed size of one produce request's messages. Default 900 KiB. */
  maxBatchBytes?: number;
  /** Produce requests allowed in flight at once. Default 2. */
  maxInFlight?: number;
  /** Required acknowledgements: -1 waits for all in-sync replicas. Default -1. */
  acks?: number;
}

interface Batch {
  messages: Message[];
  bytes: number;
  done: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

const OVERHEAD_BYTES = 40;

function sizeOf(m: Message): number {
  const value = m.value === null ? 0 : m.value.length;
  const key = m.key === null || m.key === undefined ? 0 : m.key.length;
  return value + key + OVERHEAD_BYTES;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A failed batch is reported to every caller of send(); this handler only avoids an unhandled
  // rejection when no caller is left to hear it.
  done.catch(() => undefined);
  return { messages: [], bytes: 0, done, resolve, reject };
}

export class BatchingProducer {
  private open: Batch | undefined;
  private readonly ready: Batch[] = [];
  private readonly flying = new Set<Promise<void>>();
  private scheduled = false;
  private closed = false;
  private readonly maxBatchBytes: number;
  private readonly maxInFlight: number;
  private readonly acks: number;
  /** Messages acknowledged by Kafka since creation. */
  produced = 0;
  /** Produce requests sent since creation. */
  requests = 0;

  constructor(
    private readonly producer: Producer,
    private readonly opts: BatchingProducerOptions,
  ) {
    this.maxBatchBytes = opts.maxBatchBytes ?? 900 * 1024;
    this.maxInFlight = opts.maxInFlight ?? 2;
    this.acks = opts.acks ?? -1;
  }

  /** Resolves once every message is acknowledged by Kafka; rejects if its batch failed. */
  send(messages: readonly Message[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error("The producer is closed"));
    if (messages.length === 0) return Promise.resolve();
    const waits = new Set<Promise<void>>();
    for (const m of messages) {
      const size = sizeOf(m);
      if (this.open !== undefined && this.open.bytes + size > this.maxBatchBytes) this.cut();
      this.open ??= newBatch();
      this.open.messages.push(m);
      this.open.bytes += size;
      waits.add(this.open.done);
    }
    this.schedule();
    return Promise.all(waits).then(() => undefined);
  }

  /** Sends whatever is gathered and waits until nothing is pending or in flight. */
  async flush(): Promise<void> {
    this.cut();
    this.pump();
    while (this.flying.size > 0 || this.ready.length > 0) {
      await Promise.allSettled([...this.flying]);
      this.pump();
    }
  }

  /** Refuses new messages, then flushes. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private cut(): void {
    if (this.open !== undefined && this.open.messages.length > 0) this.ready.push(this.open);
    this.open = undefined;
  }

  /** Lets every send() of the current event-loop turn join the batch before it leaves. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.flying.size < this.maxInFlight) this.cut();
      this.pump();
    });
  }

  private pump(): void {
    while (this.flying.size < this.maxInFlight) {
      const batch = this.ready.shift();
      if (batch === undefined) return;
      const flight = this.producer
        .send({ topic: this.opts.topic, acks: this.acks, messages: batch.messages })
        .then(
          () => {
            this.produced += batch.messages.length;
            batch.resolve();
          },
          (err: unknown) => batch.reject(err),
        )
        .finally(() => {
          this.flying.delete(flight);
          // What gathered while this request flew leaves now.
          if (this.ready.length === 0 && this.flying.size < this.maxInFlight) this.cut();
          this.pump();
        });
      this.requests++;
      this.flying.add(flight);
    }
  }
}
