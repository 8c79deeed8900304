import { randomUUID } from "node:crypto";
import { Partitioners } from "kafkajs";
import { describe, expect, it } from "vitest";
import { KeyHashPartitioner, murmur2, partitionOf } from "../../lib/partitioner";

const metadata = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    partitionId: i,
    leader: 1,
    replicas: [1],
    isr: [1],
    partitionErrorCode: 0,
  }));

describe("KeyHashPartitioner", () => {
  it("matches Kafka's murmur2 on known values", () => {
    // Values of org.apache.kafka.common.utils.Utils.murmur2 for these keys (also kafkajs's).
    expect(murmur2(Buffer.from(""))).toBe(275646681);
    expect(murmur2(Buffer.from("21"))).toBe(-973932308);
    expect(murmur2(Buffer.from("foobar"))).toBe(-790332482);
    expect(murmur2(Buffer.from("a-little-bit-long-string"))).toBe(-985981536);
    expect(murmur2(Buffer.from("a-little-bit-longer-string"))).toBe(-1486304829);
    expect(murmur2(Buffer.from("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"))).toBe(
      -58897971,
    );
  });

  it("puts every key on the partition kafkajs's default partitioner picks", () => {
    const ours = KeyHashPartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    for (const n of [1, 2, 3, 7, 12]) {
      for (let i = 0; i < 500; i++) {
        const message = { key: randomUUID(), value: "x" };
        const args = { topic: "t", partitionMetadata: metadata(n), message };
        expect(ours(args)).toBe(theirs(args));
      }
    }
    expect(partitionOf("foobar", 3)).toBe(
      theirs({
        topic: "t",
        partitionMetadata: metadata(3),
        message: { key: "foobar", value: "x" },
      }),
    );
  });

  it("keeps an explicit partition and spreads unkeyed messages", () => {
    const p = KeyHashPartitioner();
    expect(
      p({
        topic: "t",
        partitionMetadata: metadata(3),
        message: { key: "a", value: "x", partition: 2 },
      }),
    ).toBe(2);
    const seen = new Set(
      Array.from({ length: 6 }, () =>
        p({ topic: "t", partitionMetadata: metadata(3), message: { value: "x" } }),
      ),
    );
    expect(seen.size).toBe(3);
  });
});
