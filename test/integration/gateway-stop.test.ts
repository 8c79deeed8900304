// The gateway stopping while a client's upload has stalled: the upload is answered 503 (send it
// again) soon after, and the gateway stops instead of waiting for the client until it is killed.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dlqTopic } from "../../lib/dead-letter";
import { waitFor } from "../../lib/retry";
import { deleteTopics } from "../helpers/kafka";
import { http, startSystem, type TestSystem } from "../helpers/system";

let sys: TestSystem;
beforeAll(async () => {
  sys = await startSystem();
});
afterAll(async () => {
  await sys?.stop();
  if (sys) await deleteTopics([sys.config.kafka.topic, dlqTopic(sys.config.kafka.topic)]);
});

describe("userevents stopping", () => {
  it("refuses new submits and uploads with 503 SHUTTING_DOWN while it stops, and the gateway says when to retry", async () => {
    // As between the start of its stop and its last answer over RabbitMQ (its jobs pause, its
    // producer flushes): the flag its stop sets first.
    const userevents = sys.brokers.userevents.getLocalService("userevents") as unknown as {
      stopping: boolean;
    };
    userevents.stopping = true;
    try {
      const submit = await http(sys.baseUrl, "/submit/1");
      const upload = await http(sys.baseUrl, "/events", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "[]",
      });
      for (const res of [submit, upload]) {
        expect(res.status, res.text).toBe(503);
        expect(res.headers.get("retry-after")).toBe("5");
        expect(res.body).toMatchObject({
          error: { type: "SERVICE_UNAVAILABLE", data: { cause: "SHUTTING_DOWN" } },
        });
      }
    } finally {
      userevents.stopping = false;
    }
    expect((await http(sys.baseUrl, "/submit/1")).status).toBe(202);
  });
});

describe("the gateway stopping", () => {
  it("answers 503 to an upload that stalled, and stops", async () => {
    const api = sys.brokers.api.getLocalService("api") as unknown as {
      uploads: { arriving: number };
    };
    const { port } = new URL(sys.baseUrl);
    const socket = net.connect(Number(port), "127.0.0.1");
    const answer = new Promise<string>((resolve, reject) => {
      let text = "";
      socket.on("data", (d: Buffer) => (text += d.toString()));
      socket.once("close", () => resolve(text));
      socket.once("error", reject);
    });
    // Headers and the first byte of a 100-byte body, and no more.
    socket.write(
      "POST /events HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n[",
    );
    await waitFor(() => api.uploads.arriving === 1, 10_000, "the gateway to be reading the upload");
    // A request that arrives whole meanwhile is answered as ever.
    expect((await http(sys.baseUrl, "/healthcheck")).status).toBe(200);

    // Without the grace, the stop waited 15 s for the request, then for the client (60 s here).
    await sys.brokers.api.stop();
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 503 /);
    expect(text).toMatch(/\r\nRetry-After: 5\r\n/i);
    const body = JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4)) as {
      error: { type: string; data: { cause: string } };
    };
    expect(body.error).toMatchObject({
      type: "SERVICE_UNAVAILABLE",
      data: { cause: "SHUTTING_DOWN" },
    });
    expect(api.uploads.arriving).toBe(0);
  }, 40_000);
});
