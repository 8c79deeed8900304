/**
 * api: the HTTP gateway (moleculer-web) on HTTP_PORT. Maps routes to actions of userevents and
 * userstats over RabbitMQ and answers every error as JSON `{ error: { type, message, data } }`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context, Service, ServiceSchema } from "moleculer";
import ApiGateway from "moleculer-web";
import { loadConfig, type Config } from "../lib/config";
import type { CheckResult } from "../lib/health";
import { toHttpError } from "../lib/http-errors";
import { UnsupportedMediaTypeError } from "../lib/errors";
import type { SubmitResult } from "./userevents.service";

type ApiThis = Service<Record<string, unknown>>;

/** Services the gateway needs, and the timeout of their health calls. */
const BACKENDS = ["userevents", "userstats"] as const;
const HEALTH_TIMEOUT_MS = 3000;
const NDJSON = "application/x-ndjson";

export interface HealthReport {
  status: "ok" | "fail";
  checks: Record<string, CheckResult>;
}

/** The api service for the given configuration. */
export function createApiService(config: Readonly<Config>): ServiceSchema {
  const schema: ServiceSchema = {
    name: "api",
    mixins: [ApiGateway],

    settings: {
      port: config.http.port,
      ip: config.http.host,
      logRequest: "debug",
      logResponse: "debug",
      log4XXResponses: false,
      routes: [
        {
          // Bring-your-own events: a JSON array, or NDJSON; each event is validated on its own.
          path: "/events",
          mappingPolicy: "restrict",
          autoAliases: false,
          mergeParams: false,
          bodyParsers: {
            json: { limit: config.http.bodyLimitBytes, strict: true },
            text: { type: NDJSON, limit: config.http.bodyLimitBytes },
            urlencoded: false,
          },
          aliases: { "POST /": "userevents.ingest" },
          onBeforeCall(
            _ctx: Context,
            _route: unknown,
            req: IncomingMessage & { $params: Record<string, unknown> },
          ) {
            const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
            if (type === "application/json") req.$params = { events: req.$params.body };
            else if (type === NDJSON) req.$params = { ndjson: req.$params.body };
            else throw new UnsupportedMediaTypeError(type ?? "", ["application/json", NDJSON]);
          },
          onAfterCall(
            ctx: Context<unknown, Record<string, unknown>>,
            _route: unknown,
            _req: unknown,
            _res: unknown,
            data: unknown,
          ) {
            ctx.meta.$statusCode = 202;
            return data;
          },
        },
        {
          path: "/",
          mappingPolicy: "restrict",
          autoAliases: false,
          bodyParsers: { json: { limit: config.http.bodyLimitBytes }, urlencoded: false },
          aliases: {
            "GET submit/:n": "userevents.submit",
            "GET jobs/:id": "userevents.job",
            "GET report": "userstats.report",
            "POST report/send": "userstats.sendReport",
            "GET healthcheck": "api.health",
          },
          onAfterCall(
            ctx: Context<unknown, Record<string, unknown>>,
            _route: unknown,
            req: { $action?: { name: string } },
            _res: unknown,
            data: unknown,
          ) {
            if (req.$action?.name === "userevents.submit") {
              const { jobId } = data as SubmitResult;
              ctx.meta.$statusCode = 202;
              ctx.meta.$responseHeaders = { Location: `/jobs/${jobId}` };
            }
            return data;
          },
        },
      ],
      onError(this: ApiThis, req: IncomingMessage, res: ServerResponse, err: Error) {
        const answer = toHttpError(err);
        if (answer.internal) {
          this.logger.error("Request failed.", {
            method: req.method,
            url: req.url,
            error: err.message,
            stack: err.stack,
          });
        } else if (answer.status >= 500) {
          this.logger.warn("Request answered with 503.", {
            method: req.method,
            url: req.url,
            error: err.message,
          });
        }
        if (res.headersSent) return;
        res.writeHead(answer.status, answer.headers);
        res.end(JSON.stringify(answer.body));
      },
    },

    actions: {
      /** 200 when both services answer and reach Kafka and SQLite; 503 with the failing checks otherwise. */
      health: {
        async handler(
          this: ApiThis,
          ctx: Context<unknown, Record<string, unknown>>,
        ): Promise<HealthReport> {
          const checks: Record<string, CheckResult> = {
            rabbitmq: { ok: this.broker.transit?.connected === true, ms: 0 },
          };
          await Promise.all(
            BACKENDS.map(async name => {
              const started = Date.now();
              try {
                const sub = await ctx.call<Record<string, CheckResult>, Record<string, never>>(
                  `${name}.health`,
                  {},
                  { timeout: HEALTH_TIMEOUT_MS },
                );
                checks[name] = { ok: true, ms: Date.now() - started };
                for (const [key, result] of Object.entries(sub)) checks[`${name}.${key}`] = result;
              } catch (err) {
                checks[name] = {
                  ok: false,
                  ms: Date.now() - started,
                  error: (err as Error).message,
                };
              }
            }),
          );
          const ok = Object.values(checks).every(c => c.ok);
          if (!ok) ctx.meta.$statusCode = 503;
          return { status: ok ? "ok" : "fail", checks };
        },
      },
    },
  };
  return schema;
}

export default createApiService(loadConfig());
