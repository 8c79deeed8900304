/**
 * Broker options shared by the three service processes (api, userevents, userstats), built from the
 * typed config. moleculer-runner loads the compiled file; tests call brokerOptions() directly.
 */
import type { BrokerOptions } from "moleculer";
import { callRouting } from "./lib/call-routing";
import { loadConfig, type Config } from "./lib/config";
import { stopHeartbeatsOnStop } from "./lib/stop-heartbeats";
import { stopOnce } from "./lib/stop-once";

/** Options of one service broker; `overrides` lets tests replace single fields. */
export function brokerOptions(
  config: Config,
  overrides: Partial<BrokerOptions> = {},
): BrokerOptions {
  return {
    namespace: config.moleculer.namespace,
    logger: {
      type: "Console",
      options: {
        level: config.moleculer.logLevel,
        formatter: "short",
        colors: process.stdout.isTTY,
      },
    },
    transporter: {
      type: "AMQP",
      options: {
        url: config.moleculer.amqpUrl,
        // moleculer acks a request only when the action ends: prefetch 1 serialises every node.
        prefetch: config.moleculer.prefetch,
        // amqplib leaves Nagle's algorithm on; without noDelay each call waits ~40 ms for an ACK.
        socketOptions: { noDelay: true },
        // Queues of a node that is gone are deleted after 2 minutes (the default of moleculer).
        autoDeleteQueues: true,
      },
    },
    // RabbitMQ balances requests among the nodes of a service (one shared queue per action): a node
    // that died stops receiving at once, instead of being picked until its heartbeat times out.
    disableBalancer: true,
    // …but a call to an action of this very node runs in-process, and moleculer-web's calls go to
    // the shared queue too (lib/call-routing.ts).
    // The heartbeats stop when the broker begins to stop, not after its transporter is gone; a
    // second signal waits for the stop under way instead of running it again.
    middlewares: [callRouting(), stopHeartbeatsOnStop(), stopOnce()],
    requestTimeout: config.moleculer.requestTimeoutMs,
    // fastest-validator's own wording of these two names neither the value refused nor the key.
    validator: {
      type: "Fastest",
      options: {
        messages: {
          enumValue: "The '{field}' field must be one of {expected}; got '{actual}'.",
          objectStrict: "Unknown parameter(s): {actual}.",
        },
      },
    },
    // On stop, wait for the requests in progress before the services' stopped() run.
    tracking: { enabled: true, shutdownTimeout: 15_000 },
    heartbeatInterval: 5,
    heartbeatTimeout: 15,
    metrics: { enabled: false },
    tracing: { enabled: false },
    ...overrides,
  };
}

export default brokerOptions(loadConfig());
