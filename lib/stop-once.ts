/**
 * A broker stops once. moleculer 0.14 runs its whole stop again on every SIGINT/SIGTERM; a second
 * run disconnects a transporter that is already closing, and amqplib answers with "Channel ended"
 * and a stack trace. Ctrl-C on `make run-services` sends two: the terminal signals every process of
 * the foreground group, and concurrently passes its own on to each service. A later stop waits for
 * the first one; a broker started again stops again.
 */
import type { Middleware, ServiceBroker } from "moleculer";

export function stopOnce(): Middleware {
  // Per broker: one options object may serve several brokers (tests).
  const stopping = new WeakMap<ServiceBroker, Promise<void>>();
  return {
    name: "StopOnce",
    created(broker: ServiceBroker) {
      const stop = broker.stop.bind(broker);
      broker.stop = () => {
        let run = stopping.get(broker);
        if (run === undefined) stopping.set(broker, (run = stop()));
        return run;
      };
    },
    started(broker: ServiceBroker) {
      stopping.delete(broker);
    },
  } as unknown as Middleware;
}
