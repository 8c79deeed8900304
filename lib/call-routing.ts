/**
 * Where a call goes when RabbitMQ balances requests (`disableBalancer: true`).
 *
 * moleculer then sends every call through the transporter, a call to an action of the calling node
 * too: the gateway's own `/report` action went to RabbitMQ and back with its ~200 KiB answer
 * serialized twice (docs/BENCHMARKS.md). And moleculer-web calls an action by the endpoint it looked
 * up, which addresses that one node's queue instead of the action's shared queue, so a request
 * could still be sent to a node that had just died. This middleware runs calls to actions of this
 * node in-process, and sends calls addressed to an endpoint of another node to the action's shared
 * queue, where any live node of the service takes it. A call with an explicit `nodeID` is left as
 * it is.
 */
import type { ActionEndpoint, CallingOptions, Context, Middleware, ServiceBroker } from "moleculer";

type Call = (
  action: string | ActionEndpoint,
  params?: Record<string, unknown>,
  opts?: CallingOptions,
) => Promise<unknown> & { ctx?: Context };

interface EndpointList {
  hasLocal(): boolean;
  nextLocal(): ActionEndpoint | null;
}

/** The endpoint of `action` on this node, if this node serves it. */
function localEndpoint(
  broker: ServiceBroker,
  action: string | ActionEndpoint,
): ActionEndpoint | undefined {
  if (typeof action !== "string") return action.local ? action : undefined;
  const registry = broker.registry as unknown as {
    getActionEndpoints(name: string): EndpointList | null | undefined;
  };
  const list = registry.getActionEndpoints(action);
  if (list === undefined || list === null || !list.hasLocal()) return undefined;
  return list.nextLocal() ?? undefined;
}

/** The middleware; one per broker (it keeps the broker it was created in). */
export function callRouting(): Middleware {
  let broker: ServiceBroker | undefined;
  return {
    name: "CallRouting",
    created(b: ServiceBroker) {
      broker = b;
    },
    call(next: Call): Call {
      return (action, params = {}, opts = {}) => {
        if (broker === undefined || opts.nodeID !== undefined) return next(action, params, opts);
        const local = localEndpoint(broker, action);
        if (local !== undefined) {
          // What moleculer does with a local endpoint when it balances by itself.
          const ctx = broker.ContextFactory.create(broker, local, params, opts);
          const handler = local.action.handler as (ctx: Context) => Promise<unknown>;
          const p: Promise<unknown> & { ctx?: Context } = handler(ctx);
          // Context#call merges the callee's meta ($statusCode, $responseType…) through p.ctx.
          // moleculer's wrapper around call middlewares then overwrites p.ctx with the context of
          // the last call that went through `next`, here a call the handler made: keep ours.
          return Object.defineProperty(p, "ctx", {
            get: () => ctx,
            set: () => undefined,
            enumerable: true,
            configurable: true,
          });
        }
        const name = typeof action === "string" ? action : action.action.name;
        return next(name ?? action, params, opts);
      };
    },
  } as unknown as Middleware;
}
