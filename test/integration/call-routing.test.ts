// Where calls go with RabbitMQ balancing (lib/call-routing.ts), on the real RabbitMQ: a call to an
// action of the calling node stays in-process and keeps its meta, and a call addressed to one remote
// node's endpoint (what moleculer-web does) goes to the shared queue, where any live node takes it.
import { randomUUID } from "node:crypto";
import { ServiceBroker, type ActionEndpoint, type Context } from "moleculer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../lib/config";
import { waitFor } from "../../lib/retry";
import { brokerOptions } from "../../moleculer.config";

const config = loadConfig({ ...process.env, MOLECULER_NAMESPACE: `routing-${randomUUID()}` });
const brokers: ServiceBroker[] = [];

function broker(nodeID: string): ServiceBroker {
  const b = new ServiceBroker(
    brokerOptions(config, { nodeID, logger: false, skipProcessEventRegistration: true }),
  );
  brokers.push(b);
  return b;
}

/** The params object the last local call of gateway.inner received. */
let lastParams: unknown;

let caller: ServiceBroker;

interface Registry {
  getNodeList(opts: { onlyAvailable: boolean }): unknown[];
  getActionEndpoints(action: string): { endpoints: ActionEndpoint[] };
}
const registry = (b: ServiceBroker): Registry => b.registry as unknown as Registry;

beforeAll(async () => {
  caller = broker("caller");
  caller.createService({
    name: "gateway",
    actions: {
      inner(ctx: Context<unknown, Record<string, unknown>>) {
        lastParams = ctx.params;
        ctx.meta.$statusCode = 503;
        return "inner";
      },
      async checked(ctx: Context<unknown, Record<string, unknown>>) {
        // Like the gateway's health check: calls another node, then sets the HTTP status.
        const who = await ctx.call<string>("echo.who");
        ctx.meta.$statusCode = 503;
        return who;
      },
    },
  });
  for (const id of ["echo-1", "echo-2"]) {
    const b = broker(id);
    b.createService({ name: "echo", actions: { who: () => id } });
  }
  await Promise.all(brokers.map(b => b.start()));
  await caller.waitForServices(["echo"], 20_000);
  await waitFor(
    () => registry(caller).getNodeList({ onlyAvailable: true }).length === 3,
    20_000,
    "both echo nodes known to the caller",
  );
}, 60_000);

afterAll(async () => {
  await Promise.all(brokers.map(b => b.stop()));
});

describe("call routing with RabbitMQ balancing", () => {
  it("runs a call to an action of the calling node in-process", async () => {
    // Through RabbitMQ the action would get a deserialized copy of its params.
    const params = { big: "x".repeat(1000) };
    await expect(caller.call("gateway.inner", params)).resolves.toBe("inner");
    expect(lastParams).toBe(params);
  });

  it("hands back the meta of a local action that called another node", async () => {
    for (let i = 0; i < 3; i++) {
      // Context#call (moleculer-web's too) takes the callee's meta from the promise's ctx.
      const p = caller.call("gateway.checked") as Promise<string> & { ctx?: Context };
      expect(["echo-1", "echo-2"]).toContain(await p);
      expect(p.ctx?.meta).toMatchObject({ $statusCode: 503 });
    }
  });

  it("sends a call addressed to one node's endpoint to the shared queue", async () => {
    const endpoint = registry(caller)
      .getActionEndpoints("echo.who")
      .endpoints.find(ep => ep.id === "echo-1");
    expect(endpoint).toBeDefined();
    const answers = new Set<string>();
    for (let i = 0; i < 40 && answers.size < 2; i++) {
      // moleculer-web calls like this: ctx.call(endpoint, params).
      answers.add(await caller.call<string, Record<string, never>>(endpoint as never, {}));
    }
    expect([...answers].sort()).toEqual(["echo-1", "echo-2"]);
  });

  it("still addresses one node when the caller names it", async () => {
    for (let i = 0; i < 10; i++)
      expect(await caller.call("echo.who", {}, { nodeID: "echo-2" })).toBe("echo-2");
  });
});
