/** Small network helpers for the project's tools and tests. */
import net from "node:net";

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** True when something accepts TCP connections on host:port (127.0.0.1 unless given). */
export function portOpen(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise(resolve => {
    const socket = net.connect(port, host);
    socket.setTimeout(5000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * Hands a failure to listen (EADDRINUSE, EACCES) to the callback of the server's next `listen`,
 * which Node only emits as an `error` event. moleculer-web's `started()` waits for that callback
 * alone: without this, a gateway whose port is taken would wait forever instead of failing.
 */
export function listenFailsToCallback(server: net.Server): void {
  const listen = server.listen.bind(server) as (...args: unknown[]) => net.Server;
  server.listen = ((...args: unknown[]) => {
    const callback =
      typeof args.at(-1) === "function" ? (args.pop() as (err?: Error) => void) : undefined;
    if (callback === undefined) return listen(...args);
    const onError = (err: Error) => {
      server.off("listening", onListening);
      callback(err);
    };
    const onListening = () => {
      server.off("error", onError);
      callback();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    return listen(...args);
  }) as typeof server.listen;
}
