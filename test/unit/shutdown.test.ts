import { describe, expect, it } from "vitest";
import { runShutdown } from "../../lib/shutdown";

describe("runShutdown", () => {
  it("runs every step in order, also after one failed, and names the failures", async () => {
    const ran: string[] = [];
    const steps = [
      ["consumer", () => Promise.reject(new Error("commit failed: Kafka is down"))],
      ["producer", () => void ran.push("producer")],
      [
        "cache",
        () => {
          throw new Error("boom");
        },
      ],
      ["database", () => Promise.resolve(void ran.push("database"))],
    ] as const;
    await expect(runShutdown(steps)).rejects.toThrow(
      "Stopping failed at: consumer (commit failed: Kafka is down), cache (boom)",
    );
    expect(ran).toEqual(["producer", "database"]);
  });

  it("waits for each step before the next one", async () => {
    const ran: string[] = [];
    await runShutdown([
      [
        "slow",
        () => new Promise<void>(resolve => setTimeout(() => (ran.push("slow"), resolve()), 20)),
      ],
      ["next", () => void ran.push("next")],
    ]);
    expect(ran).toEqual(["slow", "next"]);
  });
});
