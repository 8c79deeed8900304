/**
 * The framework baseline of the benchmark: moleculer-web with its defaults and one action of the
 * same broker (no transporter, no hooks of ours) answering 202 with the small JSON body /submit/1
 * answers. The gap between it and bare node:http is moleculer-web's own cost; the gap between it
 * and the gateway's cached report is the cost of the gateway's own hooks and headers.
 * Usage: node moleculer-web-baseline.js <port>
 */
import { ServiceBroker, type Context } from "moleculer";
import ApiGateway from "moleculer-web";

const port = Number(process.argv[2]);
const broker = new ServiceBroker({
  logger: false,
  transporter: null,
  metrics: { enabled: false },
  tracing: { enabled: false },
});
broker.createService({
  name: "bare",
  actions: {
    submit(ctx: Context<unknown, { $statusCode?: number }>) {
      ctx.meta.$statusCode = 202;
      return { accepted: 1, jobId: "00000000-0000-4000-8000-000000000000" };
    },
  },
});
broker.createService({
  name: "api",
  mixins: [ApiGateway],
  settings: {
    port,
    ip: "127.0.0.1",
    logRequest: null,
    logResponse: null,
    routes: [{ path: "/", aliases: { "GET /": "bare.submit" } }],
  },
});
broker
  .start()
  .then(() => process.send?.("ready"))
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
