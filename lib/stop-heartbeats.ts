/**
 * Stops a broker's heartbeats as soon as it begins to stop. moleculer 0.14 disconnects the
 * transporter before it stops its heartbeat timer; a heartbeat due in between is published on an AMQP
 * channel that is closing, amqplib throws, and nothing catches it: an unhandled rejection, which
 * failed a CI test run and would end a service's clean SIGTERM with a crash. By then the broker has
 * told the other nodes it offers no services, so they need no further heartbeat from it. A beat that
 * was already under way when the timers stopped sends nothing either.
 */
import type { Middleware, ServiceBroker } from "moleculer";

interface Discoverer {
  stopHeartbeatTimers(): void;
  sendHeartbeat(): Promise<void>;
}

const discovererOf = (broker: ServiceBroker): Discoverer | undefined =>
  (broker.registry as unknown as { discoverer?: Discoverer }).discoverer;

export function stopHeartbeatsOnStop(): Middleware {
  return {
    name: "StopHeartbeatsOnStop",
    stopping(broker: ServiceBroker) {
      const discoverer = discovererOf(broker);
      if (discoverer === undefined) return;
      discoverer.stopHeartbeatTimers();
      // A beat already under way measures the CPU first and sends afterwards, by which time the
      // channel may be closing (an unhandled rejection in a CI run): it sends nothing now.
      discoverer.sendHeartbeat = () => Promise.resolve();
    },
    started(broker: ServiceBroker) {
      // Started again after a stop: beats go out again (the prototype's method).
      const discoverer = discovererOf(broker);
      if (discoverer !== undefined && Object.hasOwn(discoverer, "sendHeartbeat")) {
        Reflect.deleteProperty(discoverer, "sendHeartbeat");
      }
    },
  } as unknown as Middleware;
}
