/**
 * Requests whose bodies are still arriving. At shutdown the gateway waits for the requests it is
 * working on (moleculer's context tracking), and a client that sent its headers and then stalled
 * held that wait for its whole timeout (15 s), then the server's close for up to
 * HTTP_REQUEST_TIMEOUT_MS, and the stop ended in a kill. Once the gateway begins to stop, an upload
 * gets a short grace to arrive; one still incomplete then is answered 503 (send it again) and its
 * connection closed, which ends the request and the wait.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { RETRY_AFTER_SECONDS } from "./http-errors";

interface Upload {
  req: IncomingMessage;
  res: ServerResponse;
}

export class Uploads {
  private readonly open = new Set<Upload>();
  private timer: NodeJS.Timeout | undefined;
  private readonly watched = new WeakSet<Server>();

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

  /** After `graceMs`, answers 503 to each upload still arriving and closes its connection. */
  endAfter(graceMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      for (const { req, res } of this.open) {
        if (req.complete) continue;
        if (res.headersSent) {
          req.socket.destroy();
          continue;
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
      }
    }, graceMs);
    this.timer.unref();
  }

  /** Forgets a pending endAfter (the gateway stopped). */
  clear(): void {
    clearTimeout(this.timer);
  }
}
