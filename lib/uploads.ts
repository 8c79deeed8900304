/**
 * Requests whose bodies are still arriving. At shutdown the gateway waits for the requests it is
 * working on (moleculer's context tracking), and a client that sent its headers and then stalled
 * held that wait for its whole timeout (15 s), then the server's close for up to
 * HTTP_REQUEST_TIMEOUT_MS, and the stop ended in a kill. Once the gateway begins to stop, each
 * upload (one under way, or one that arrives while the stop waits) gets a short grace to arrive;
 * one still incomplete then is answered 503 (send it again) and its connection closed, which ends
 * the request and the wait.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { RETRY_AFTER_SECONDS } from "./http-errors";

interface Upload {
  req: IncomingMessage;
  res: ServerResponse;
}

export class Uploads {
  private readonly open = new Set<Upload>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly watched = new WeakSet<Server>();
  /** Set once the gateway began to stop: the grace each upload gets from then on. */
  private graceMs: number | undefined;

  /** Follows the requests of a server that carry a body (once, however often it is started). */
  watch(server: Server): void {
    if (this.watched.has(server)) return;
    this.watched.add(server);
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      const length = req.headers["content-length"];
      const hasBody =
        req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
      if (!hasBody) return;
      const upload = { req, res };
      this.open.add(upload);
      res.once("close", () => this.open.delete(upload));
      if (this.graceMs !== undefined) this.endLater(upload, this.graceMs);
    });
  }

  /** Requests with a body whose answer has not gone out yet. */
  get size(): number {
    return this.open.size;
  }

  /** Uploads whose body has not fully arrived. */
  get arriving(): number {
    return [...this.open].filter(u => !u.req.complete).length;
  }

  /** From now on, each upload still arriving `graceMs` after now (or after it began) is ended. */
  endAfter(graceMs: number): void {
    if (this.graceMs !== undefined) return;
    this.graceMs = graceMs;
    for (const upload of this.open) this.endLater(upload, graceMs);
  }

  /** Forgets the uploads' timers (the gateway stopped); a start after that begins afresh. */
  clear(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.graceMs = undefined;
  }

  private endLater({ req, res }: Upload, graceMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (req.complete) return;
      if (res.headersSent) {
        req.socket.destroy();
        return;
      }
      const body = JSON.stringify({
        error: {
          type: "SERVICE_UNAVAILABLE",
          message:
            "The gateway is stopping and the request body had not arrived; send the request again.",
          data: { cause: "SHUTTING_DOWN" },
        },
      });
      res.writeHead(503, {
        "Content-Type": "application/json; charset=utf-8",
        "Content-Length": Buffer.byteLength(body),
        "Retry-After": String(RETRY_AFTER_SECONDS),
        Connection: "close",
      });
      res.end(body, () => req.socket.destroy());
    }, graceMs);
    timer.unref();
    this.timers.add(timer);
  }
}
