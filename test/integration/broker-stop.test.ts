// A broker stopping on the real RabbitMQ sends no heartbeat once it begins to stop: moleculer 0.14
// disconnects the transporter before it stops the heartbeat timer, and a heartbeat due in between
// threw on the closing AMQP channel as an unhandled rejection (lib/stop-heartbeats.ts).
import { randomUUID } from "node:crypto";
import { ServiceBroker } from "moleculer";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../lib/config";
import { brokerOptions } from "../../moleculer.config";

interface Internals {
  registry: { discoverer: { heartbeatTimer: unknown; sendHeartbeat(): Promise<void> } };
  transit: { disconnect(): Promise<void> };
}

/** A broker on the real RabbitMQ, in a namespace of its own, started. */
async function startedBroker(): Promise<ServiceBroker> {
  const config = loadConfig({ ...process.env, MOLECULER_NAMESPACE: `stop-${randomUUID()}` });
  const broker = new ServiceBroker(
    brokerOptions(config, { logger: false, skipProcessEventRegistration: true }),
  );
  await broker.start();
  return broker;
}

describe("a stopping broker", () => {
  it("has stopped its heartbeat timer before its transporter disconnects", async () => {
    const broker = await startedBroker();
    const internals = broker as unknown as Internals;
    expect(internals.registry.discoverer.heartbeatTimer).not.toBeNull();
    // What the timer holds at the moment the transporter starts to disconnect.
    let timerAtDisconnect: unknown = "not disconnected";
    const disconnect = internals.transit.disconnect.bind(internals.transit);
    internals.transit.disconnect = () => {
      timerAtDisconnect = internals.registry.discoverer.heartbeatTimer;
      return disconnect();
    };
    await broker.stop();
    expect(timerAtDisconnect).toBeNull();
  });

  it("sends nothing from a heartbeat that was under way when it began to stop", async () => {
    const broker = await startedBroker();
    const internals = broker as unknown as Internals;
    // A beat measures the CPU first and sends afterwards (sendHeartbeat): here the send comes
    // while the AMQP channel is closing, as in a CI run where amqplib threw "Channel closing".
    let beat: Promise<void> | undefined;
    const tx = (broker as unknown as { transit: { tx: { channel: { close(): Promise<void> } } } })
      .transit.tx;
    const close = tx.channel.close.bind(tx.channel);
    tx.channel.close = () => {
      const closing = close();
      try {
        beat = internals.registry.discoverer.sendHeartbeat();
      } catch (err) {
        beat = Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      return closing;
    };
    await broker.stop();
    await expect(beat).resolves.toBeUndefined();
  });
});
