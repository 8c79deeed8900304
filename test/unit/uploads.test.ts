// Uploads on a real local HTTP server: stalled bodies are ended once the gateway stops, whether
// they began before the stop or while it waits.
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../../lib/retry";
import { Uploads } from "../../lib/uploads";

let server: http.Server | undefined;
let uploads: Uploads | undefined;
afterEach(async () => {
  uploads?.clear();
  server?.closeAllConnections();
  await new Promise(resolve => server?.close(resolve));
});

async function start(): Promise<{ port: number; uploads: Uploads }> {
  // A handler that reads the body and answers 202 once it is all there.
  server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (!res.headersSent) res.writeHead(202).end("{}");
    });
  });
  uploads = new Uploads();
  uploads.watch(server);
  uploads.watch(server); // once, however often
  await new Promise<void>(resolve => server?.listen(0, "127.0.0.1", resolve));
  return { port: (server?.address() as AddressInfo).port, uploads };
}

/** Sends the headers of a 100-byte body and one byte of it; resolves with the raw answer. */
function stalledUpload(port: number): Promise<string> {
  const socket = net.connect(port, "127.0.0.1");
  socket.write("POST /events HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n[");
  return new Promise((resolve, reject) => {
    let text = "";
    socket.on("data", (d: Buffer) => (text += d.toString()));
    socket.once("close", () => resolve(text));
    socket.once("error", reject);
  });
}

describe("Uploads", () => {
  it("leaves uploads alone until the stop, then answers 503 to those still arriving", async () => {
    const { port, uploads: u } = await start();
    const before = stalledUpload(port);
    await waitFor(() => u.arriving === 1, 5000, "the first upload");
    u.endAfter(100);
    // One that begins while the stop waits gets its own grace.
    const during = stalledUpload(port);
    await waitFor(() => u.arriving === 2, 5000, "the second upload");
    // A whole one is answered as ever.
    const whole = await fetch(`http://127.0.0.1:${port}/events`, { method: "POST", body: "[]" });
    expect(whole.status).toBe(202);
    for (const answer of await Promise.all([before, during])) {
      expect(answer).toMatch(/^HTTP\/1\.1 503 /);
      expect(answer).toContain('"cause":"SHUTTING_DOWN"');
    }
    expect(u.arriving).toBe(0);
  });
});
