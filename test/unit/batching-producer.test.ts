// BatchingProducer against a stand-in Producer (no I/O): the unit under test is the batching logic.
import type { Message, Producer, ProducerRecord } from "kafkajs";
import { describe, expect, it } from "vitest";
import { BatchingProducer } from "../../lib/batching-producer";

interface Call {
  record: ProducerRecord;
  settle: (err?: Error) => void;
}

function fakeProducer() {
  const calls: Call[] = [];
  const producer = {
    send(record: ProducerRecord) {
      return new Promise((resolve, reject) => {
        calls.push({ record, settle: err => (err ? reject(err) : resolve([])) });
      });
    },
  } as unknown as Producer;
  return { producer, calls };
}

const msg = (i: number, size = 10): Message => ({ key: `k${i}`, value: Buffer.alloc(size, 1) });
const tick = () => new Promise(resolve => setImmediate(resolve));

describe("BatchingProducer", () => {
  it("sends the sends of one event-loop turn as one request with acks=-1", async () => {
    const { producer, calls } = fakeProducer();
    const bp = new BatchingProducer(producer, { topic: "t" });
    const a = bp.send([msg(1)]);
    const b = bp.send([msg(2), msg(3)]);
    await tick();
    expect(calls).toHaveLength(1);
    expect(calls[0]?.record).toMatchObject({ topic: "t", acks: -1 });
    expect(calls[0]?.record.messages).toHaveLength(3);
    calls[0]?.settle();
    await Promise.all([a, b]);
    expect(bp.produced).toBe(3);
  });

  it("gathers what arrives while requests fly, up to maxInFlight", async () => {
    const { producer, calls } = fakeProducer();
    const bp = new BatchingProducer(producer, { topic: "t", maxInFlight: 1 });
    const first = bp.send([msg(1)]);
    await tick();
    const later = [bp.send([msg(2)]), bp.send([msg(3)]), bp.send([msg(4)])];
    await tick();
    expect(calls).toHaveLength(1);
    calls[0]?.settle();
    await first;
    await tick();
    expect(calls).toHaveLength(2);
    expect(calls[1]?.record.messages.map(m => m.key)).toEqual(["k2", "k3", "k4"]);
    calls[1]?.settle();
    await Promise.all(later);
  });

  it("splits batches at maxBatchBytes and resolves a send only when all its parts are acknowledged", async () => {
    const { producer, calls } = fakeProducer();
    const bp = new BatchingProducer(producer, { topic: "t", maxBatchBytes: 200, maxInFlight: 10 });
    let done = false;
    const p = bp.send([msg(1, 100), msg(2, 100), msg(3, 100)]).then(() => (done = true));
    await tick();
    expect(calls.map(c => c.record.messages.length)).toEqual([1, 1, 1]);
    calls[0]?.settle();
    calls[1]?.settle();
    await tick();
    expect(done).toBe(false);
    calls[2]?.settle();
    await p;
    expect(done).toBe(true);
  });

  it("rejects the sends of a failed batch and carries on with the next", async () => {
    const { producer, calls } = fakeProducer();
    const bp = new BatchingProducer(producer, { topic: "t" });
    const failed = bp.send([msg(1)]);
    await tick();
    calls[0]?.settle(new Error("broker down"));
    await expect(failed).rejects.toThrow("broker down");
    const ok = bp.send([msg(2)]);
    await tick();
    calls[1]?.settle();
    await expect(ok).resolves.toBeUndefined();
    expect(bp.produced).toBe(1);
  });

  it("on close, waits until everything gathered is acknowledged, and refuses sends afterwards", async () => {
    const { producer, calls } = fakeProducer();
    const bp = new BatchingProducer(producer, { topic: "t", maxInFlight: 1 });
    const first = bp.send([msg(1)]);
    await tick();
    // One request flies; the next message waits in the open batch.
    const pending = bp.send([msg(2)]);
    await tick();
    expect(calls).toHaveLength(1);
    let closed = false;
    const closing = bp.close().then(() => (closed = true));
    await expect(bp.send([msg(3)])).rejects.toThrow(/closed/);
    await tick();
    expect(closed).toBe(false);
    calls[0]?.settle();
    await first;
    for (let i = 0; i < 10 && calls.length < 2; i++) await tick();
    expect(calls).toHaveLength(2);
    expect(calls[1]?.record.messages.map(m => m.key)).toEqual(["k2"]);
    await tick();
    expect(closed).toBe(false);
    calls[1]?.settle();
    await Promise.all([pending, closing]);
    expect(closed).toBe(true);
    expect(bp.produced).toBe(2);
  });
});
