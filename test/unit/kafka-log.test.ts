// The levels kafkajs's log lines get in the services' logs.
import { logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { kafkaLogLevel } from "../../lib/kafka";

describe("kafkaLogLevel", () => {
  const response = (error: string) => ({
    message: "Response GroupCoordinator(key: 10, version: 2)",
    error,
  });

  it.each([
    "The group coordinator is not available",
    "The coordinator is loading and hence can't process requests for this group",
    "This is not the correct coordinator for this group",
    "This server is not the leader for that topic-partition",
    "There is no leader for this topic-partition as we are in the middle of a leadership election",
  ])("makes a broker's '%s', which kafkajs retries, a warning", error => {
    expect(kafkaLogLevel("Connection", logLevel.ERROR, response(error))).toBe("warn");
  });

  it("keeps every other error an error", () => {
    expect(
      kafkaLogLevel("Connection", logLevel.ERROR, response("Not authorized to access group")),
    ).toBe("error");
    // The same words from elsewhere than a broker's answer (a crash of the consumer, say).
    expect(
      kafkaLogLevel("Consumer", logLevel.ERROR, {
        message: "Crash: KafkaJSNumberOfRetriesExceeded",
        error: "The group coordinator is not available",
      }),
    ).toBe("error");
    expect(kafkaLogLevel("Connection", logLevel.ERROR, { message: "Connection error" })).toBe(
      "error",
    );
  });

  it("maps warnings to warn and the rest to debug", () => {
    expect(kafkaLogLevel("Cluster", logLevel.WARN, { message: "x" })).toBe("warn");
    expect(kafkaLogLevel("Consumer", logLevel.INFO, { message: "Starting" })).toBe("debug");
  });
});
