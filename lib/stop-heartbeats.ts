/**
 * Stops a broker's heartbeats as soon as it begins to stop. moleculer 0.14 disconnects the
 * transporter before it stops its heartbeat timer; a heartbeat due in between is published on an AMQP
 * channel that is closing, amqplib throws, and nothing catches it: an unhandled rejection, which
 * failed a CI test run and would end a service's clean SIGTERM with a crash. By then the broker has
 * told the other nodes it offers no services, so they need no further heartbeat from it.
 */
import type { Middleware, ServiceBroker } from "moleculer";

interface Discoverer {
  stopHeartbeatTimers(): void;
}

export function stopHeartbeatsOnStop(): Middleware {
  return {
    name: "StopHeartbeatsOnStop",
    stopping(broker: ServiceBroker) {
      (broker.registry as unknown as { discoverer?: Discoverer }).discoverer?.stopHeartbeatTimers();
    },
  } as unknown as Middleware;
}
