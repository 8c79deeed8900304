import { describe, expect, it } from "vitest";
import { deadLetterMessages, dlqTopic } from "../../lib/dead-letter";
import { InvalidEventError } from "../../lib/errors";

describe("dead-letter", () => {
  it("names a topic's dead-letter topic", () => {
    expect(dlqTopic("user-events")).toBe("user-events.dlq");
  });

  it("keeps a record's key, value and headers, and says why and where it came from", () => {
    const at = new Date("2026-11-27T10:00:00.000Z");
    const value = Buffer.from("{not json");
    const [message] = deadLetterMessages(
      [
        {
          topic: "user-events",
          partition: 3,
          offset: "1234",
          message: {
            key: Buffer.from("k1"),
            value,
            headers: { origin: "replay" },
            timestamp: "0",
            attributes: 0,
            offset: "1234",
          },
          error: new InvalidEventError("not JSON", [{ field: "body", message: "is not JSON" }]),
        },
      ],
      at,
    );
    expect(message).toEqual({
      key: Buffer.from("k1"),
      value,
      headers: {
        origin: "replay",
        "dlq-reason": "not JSON",
        "dlq-details": JSON.stringify([{ field: "body", message: "is not JSON" }]),
        "dlq-source-topic": "user-events",
        "dlq-source-partition": "3",
        "dlq-source-offset": "1234",
        "dlq-at": "2026-11-27T10:00:00.000Z",
      },
    });
  });
});
