// Limits and hygiene at the gateway: rate limiting of write endpoints with the standard headers,
// CORS only for configured origins, security headers.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dlqTopic } from "../../lib/dead-letter";
import { waitFor } from "../../lib/retry";
import { deleteTopics } from "../helpers/kafka";
import { http, startSystem, type TestSystem } from "../helpers/system";

let sys: TestSystem;
const REQUEST_TIMEOUT_MS = 3000;
const ORIGIN = "http://dashboard.example.test";
const BODY_LIMIT = 2048;

beforeAll(async () => {
  sys = await startSystem({
    RATE_LIMIT_WRITES_PER_MINUTE: "5",
    CORS_ORIGINS: ORIGIN,
    HTTP_BODY_LIMIT_BYTES: String(BODY_LIMIT),
    HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
  });
});
afterAll(async () => {
  await sys?.stop();
  if (sys) await deleteTopics([sys.config.kafka.topic, dlqTopic(sys.config.kafka.topic)]);
});

describe("limits", () => {
  it("limits writes per client with RateLimit headers, then answers 429 with Retry-After", async () => {
    const answers = [];
    // The gateway routes paths whatever their case and with trailing slashes: each form counts.
    for (const url of ["/submit/1", "/SUBMIT/1", "/submit/1/", "/Submit/1//", "/submit/1"])
      answers.push(await http(sys.baseUrl, url));
    answers.push(await http(sys.baseUrl, "/submit/1"));
    expect(answers.slice(0, 5).map(a => a.status)).toEqual([202, 202, 202, 202, 202]);
    expect(answers[0]?.headers.get("ratelimit-limit")).toBe("5");
    expect(answers[4]?.headers.get("ratelimit-remaining")).toBe("0");
    const limited = answers[5];
    expect(limited?.status).toBe(429);
    expect(limited?.body).toMatchObject({ error: { type: "RATE_LIMITED" } });
    expect(Number(limited?.headers.get("retry-after"))).toBeGreaterThan(0);
    // Other write endpoints share the budget; reads are not limited.
    expect((await http(sys.baseUrl, "/report/send", { method: "POST" })).status).toBe(429);
    const events = { method: "POST", headers: { "content-type": "application/json" }, body: "[]" };
    expect((await http(sys.baseUrl, "/Events//", events)).status).toBe(429);
    // Refused before its body is read: a body over the limit is a 429 too, with the headers.
    const big = `[${'"x",'.repeat(BODY_LIMIT)}"x"]`;
    const bigLimited = await http(sys.baseUrl, "/events", { ...events, body: big });
    expect(bigLimited.status, bigLimited.text).toBe(429);
    expect(bigLimited.headers.get("ratelimit-remaining")).toBe("0");
    expect(bigLimited.headers.get("retry-after")).not.toBeNull();
    for (let i = 0; i < 10; i++) expect((await http(sys.baseUrl, "/report")).status).toBe(200);
  });

  it("lets a few reports over a time window through at once, and answers 503 to the rest", async () => {
    // userstats counts windows only once the gate opens, so that the admitted ones are still
    // running or waiting when the rest arrive, however fast this machine counts.
    const service = sys.brokers.userstats.getLocalService("userstats") as unknown as {
      reportThread: { count(filters: unknown): Promise<unknown> };
    };
    const count = service.reportThread.count.bind(service.reportThread);
    let open!: () => void;
    const gate = new Promise<void>(resolve => (open = resolve));
    service.reportThread.count = async filters => {
      await gate;
      return count(filters);
    };
    try {
      let answered = 0;
      // Distinct windows, so that no cached report answers them.
      const asked = Array.from({ length: 40 }, (_, i) =>
        http(sys.baseUrl, `/report?from=2026-01-01T00:00:${String(i).padStart(2, "0")}Z`).then(
          a => {
            answered++;
            return a;
          },
        ),
      );
      // 1 running and 8 waiting are admitted: the other 31 are answered at once.
      await waitFor(() => answered === 31, 20_000, "31 answers while 9 are held");
      open();
      const answers = await Promise.all(asked);
      const busy = answers.filter(a => a.status !== 200);
      expect(answers.filter(a => a.status === 200)).toHaveLength(9);
      expect(busy).toHaveLength(31);
      for (const a of busy) {
        expect(a.status).toBe(503);
        expect(a.body).toMatchObject({ error: { data: { cause: "REPORTS_BUSY" } } });
        expect(Number(a.headers.get("retry-after"))).toBeGreaterThan(0);
      }
    } finally {
      open();
      service.reportThread.count = count;
    }
    expect((await http(sys.baseUrl, "/healthcheck")).status).toBe(200);
  });

  it.each([
    ["headers", "GET /report HTTP/1.1\r\nHost: test\r\n"],
    [
      "body",
      'POST /events HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n[{"id":',
    ],
  ])(
    "answers 408 to a client whose %s never finish, soon after HTTP_REQUEST_TIMEOUT_MS",
    async (_what, partial) => {
      const { port } = new URL(sys.baseUrl);
      // From a client address of its own: the writes above, from 127.0.0.1, spent that one's
      // budget, and a client over it is refused before its body is read.
      const socket = net.connect({
        port: Number(port),
        host: "127.0.0.1",
        localAddress: "127.0.0.2",
      });
      socket.write(partial);
      // Node checks for such requests every second: the answer is due within the timeout and
      // that second; more than that (2 s of slack on a busy machine) means the check is off.
      const deadline = REQUEST_TIMEOUT_MS + 1000 + 2000;
      const answer = await new Promise<string>((resolve, reject) => {
        let text = "";
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new Error(`no answer within ${deadline} ms: ${JSON.stringify(text)}`));
        }, deadline);
        socket.on("data", (d: Buffer) => (text += d.toString()));
        socket.on("close", () => {
          clearTimeout(timer);
          resolve(text);
        });
        socket.on("error", reject);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer).toContain('"type":"REQUEST_TIMEOUT"');
    },
    15_000,
  );

  it("allows CORS for the configured origin only", async () => {
    const preflight = await fetch(`${sys.baseUrl}/report`, {
      method: "OPTIONS",
      headers: { Origin: ORIGIN, "Access-Control-Request-Method": "GET" },
    });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    const allowed = await fetch(`${sys.baseUrl}/report`, { headers: { Origin: ORIGIN } });
    expect(allowed.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    const other = await fetch(`${sys.baseUrl}/report`, {
      headers: { Origin: "http://evil.example" },
    });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    // Origins are compared whole: one that only begins like the configured one is refused.
    for (const near of [ORIGIN.slice(0, -1), "http://dashboard.example", "http://d"]) {
      const res = await http(sys.baseUrl, "/report", { headers: { Origin: near } });
      expect(res.status, near).toBe(403);
      expect(res.headers.get("access-control-allow-origin"), near).toBeNull();
      expect(res.body).toMatchObject({ error: { type: "ORIGIN_NOT_ALLOWED" } });
    }
    // The gateway's own origin (the dashboard's POSTs carry it) needs no entry in CORS_ORIGINS.
    const own = await http(sys.baseUrl, "/report", { headers: { Origin: sys.baseUrl } });
    expect(own.status, own.text).toBe(200);
    expect(own.headers.get("access-control-allow-origin")).toBeNull();

    // An error a browser on that origin gets is readable there too: a wrong method's 405.
    const wrong = await fetch(`${sys.baseUrl}/report`, {
      method: "DELETE",
      headers: { Origin: ORIGIN },
    });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("access-control-allow-origin")).toBe(ORIGIN);
  });

  it("sends security headers on API answers and pages", async () => {
    for (const url of ["/report", "/", "/docs/"]) {
      const res = await fetch(`${sys.baseUrl}${url}`);
      expect(res.headers.get("x-content-type-options"), url).toBe("nosniff");
      expect(res.headers.get("x-frame-options"), url).toBe("DENY");
      expect(res.headers.get("content-security-policy"), url).toMatch(/frame-ancestors 'none'/);
    }
  });
});
