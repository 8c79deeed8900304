import { describe, expect, it } from "vitest";
import { Semaphore } from "../../lib/semaphore";

describe("Semaphore", () => {
  it("lets acquisitions through up to capacity and queues the rest in order", async () => {
    const s = new Semaphore(10);
    await s.acquire(6);
    const order: string[] = [];
    const big = s.acquire(8).then(() => order.push("big"));
    const small = s.acquire(1).then(() => order.push("small"));
    await Promise.resolve();
    expect(order).toEqual([]);
    expect(s.inUse).toBe(6);
    s.release(6);
    await Promise.all([big, small]);
    expect(order).toEqual(["big", "small"]);
    expect(s.inUse).toBe(9);
  });

  it("caps a request larger than the capacity instead of blocking forever", async () => {
    const s = new Semaphore(5);
    await s.acquire(50);
    expect(s.inUse).toBe(5);
    s.release(50);
    expect(s.inUse).toBe(0);
  });
});
