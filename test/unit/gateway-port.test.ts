// The gateway on a port another process holds: its start fails with the reason, instead of waiting
// forever for a listen that never happens (a real socket on 127.0.0.1; no broker needed).
import net from "node:net";
import { ServiceBroker } from "moleculer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../lib/config";
import { listenFailsToCallback } from "../../lib/net";
import { createApiService } from "../../services/api.service";

let holder: net.Server;
let port: number;

beforeAll(async () => {
  holder = net.createServer();
  await new Promise<void>(resolve => holder.listen(0, "127.0.0.1", resolve));
  port = (holder.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await new Promise(resolve => holder.close(resolve));
});

describe("a taken port", () => {
  it("reaches listen's callback as an error once listenFailsToCallback is applied", async () => {
    const server = net.createServer();
    listenFailsToCallback(server);
    const err = await new Promise<NodeJS.ErrnoException | undefined>(resolve =>
      server.listen(port, "127.0.0.1", resolve as () => void),
    );
    expect(err?.code).toBe("EADDRINUSE");
    // A free port still listens, and its callback runs once.
    let calls = 0;
    await new Promise<void>(resolve =>
      server.listen(0, "127.0.0.1", () => {
        calls++;
        resolve();
      }),
    );
    expect(server.listening).toBe(true);
    expect(calls).toBe(1);
    await new Promise(resolve => server.close(resolve));
  });

  it("fails the gateway's start with EADDRINUSE instead of leaving it waiting", async () => {
    const base = loadConfig({});
    const config = { ...base, http: { ...base.http, host: "127.0.0.1", port } };
    const broker = new ServiceBroker({ logger: false, transporter: null });
    broker.createService(createApiService(config));
    try {
      await expect(broker.start()).rejects.toMatchObject({ code: "EADDRINUSE" });
    } finally {
      await broker.stop().catch(() => undefined);
    }
  }, 20_000);
});
