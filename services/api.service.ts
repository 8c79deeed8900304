/**
 * api: the HTTP gateway (moleculer-web) on HTTP_PORT. Maps routes to actions of userevents and
 * userstats over RabbitMQ, serves the dashboard (public/) and the API docs, and answers every error
 * as JSON `{ error: { type, message, data } }`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import type { Context, Service, ServiceSchema } from "moleculer";
import ApiGateway from "moleculer-web";
import serveStatic from "serve-static";
import { loadConfig, type Config } from "../lib/config";
import { MethodNotAllowedError, UnsupportedMediaTypeError } from "../lib/errors";
import type { CheckResult } from "../lib/health";
import { toHttpError } from "../lib/http-errors";
import { buildOpenApi } from "../lib/openapi";
import { CSP, cspForPath, setSecurityHeaders } from "../lib/security-headers";
import { projectRoot } from "../lib/paths";
import { API_ROUTES, wrongMethods } from "../lib/routes";
import type { Job } from "../lib/job-store";
import type { SubmitResult } from "./userevents.service";
import type { SendReportResult, StatsDashboard } from "./userstats.service";

type ApiThis = Service<Record<string, unknown>>;
type SendError = (req: IncomingMessage, res: ServerResponse, err: Error) => void;

/** Aliases answering 405 (with Allow) for the methods a route path does not take. */
function methodNotAllowedAliases(filter: (path: string) => boolean, prefix: string) {
  return Object.fromEntries(
    wrongMethods()
      .filter(w => filter(w.path))
      .map(w => [
        `${w.method} ${prefix === "" ? w.path : w.path.slice(prefix.length) || "/"}`,
        function (
          this: ApiThis & { sendError: SendError },
          req: IncomingMessage,
          res: ServerResponse,
        ) {
          res.setHeader("Allow", w.allowed.join(", "));
          this.sendError(req, res, new MethodNotAllowedError(req.method ?? "", w.allowed));
        },
      ]),
  );
}
type Meta = Record<string, unknown>;

/** Services the gateway needs, and the timeout of their health and dashboard calls. */
const BACKENDS = ["userevents", "userstats"] as const;
const HEALTH_TIMEOUT_MS = 3000;
const NDJSON = "application/x-ndjson";

export interface HealthReport {
  status: "ok" | "fail";
  checks: Record<string, CheckResult>;
}

export interface DashboardState extends Omit<StatsDashboard, "consumed"> {
  timestamp: string;
  counters: { produced: number; consumed: number };
  jobs: Job[];
}

/** Sets the HTTP status of answers whose status depends on the result. */
function statusOf(action: string | undefined, data: unknown): number | undefined {
  if (action === "userevents.submit" || action === "userevents.ingest") return 202;
  if (action === "userstats.sendReport")
    return (data as SendReportResult).status === "pending" ? 202 : 200;
  return undefined;
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
      // Not routed → the dashboard's static files (GET / is public/index.html).
      assets: {
        folder: path.join(projectRoot(), "public"),
        options: {
          index: "index.html",
          setHeaders: (res: ServerResponse, file: string) =>
            setSecurityHeaders(
              res,
              cspForPath(`/${path.relative(path.join(projectRoot(), "public"), file)}`),
            ),
        },
      },
      // Every routed answer: JSON (or CSV) that runs nothing.
      use: [
        (_req: IncomingMessage, res: ServerResponse, next: () => void) => {
          setSecurityHeaders(res, CSP.api);
          next();
        },
      ],
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
          aliases: {
            "POST /": "userevents.ingest",
            ...methodNotAllowedAliases(p => p === "events", "events"),
          },
          onBeforeCall(
            _ctx: Context,
            _route: unknown,
            req: IncomingMessage & { $params: Record<string, unknown> },
          ) {
            if (req.method !== "POST") return; // other methods get their 405
            const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
            if (type === "application/json") req.$params = { events: req.$params.body };
            else if (type === NDJSON) req.$params = { ndjson: req.$params.body };
            else throw new UnsupportedMediaTypeError(type ?? "", ["application/json", NDJSON]);
          },
          onAfterCall(
            ctx: Context<unknown, Meta>,
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
          // The files of Swagger UI, for the /docs page (public/docs/).
          path: "/docs/vendor",
          mappingPolicy: "restrict",
          autoAliases: false,
          use: [
            serveStatic(path.dirname(require.resolve("swagger-ui-dist/package.json")), {
              index: false,
              setHeaders: (res: ServerResponse) => setSecurityHeaders(res, CSP.docs),
            }),
          ],
          aliases: {},
        },
        {
          path: "/",
          mappingPolicy: "restrict",
          autoAliases: false,
          bodyParsers: { json: { limit: 64 * 1024, strict: true }, urlencoded: false },
          aliases: {
            ...Object.fromEntries(
              API_ROUTES.filter(r => r.action !== undefined).map(r => [
                `${r.method} ${r.path}`,
                r.action,
              ]),
            ),
            ...methodNotAllowedAliases(p => p !== "events", ""),
          },
          onAfterCall(
            ctx: Context<unknown, Meta>,
            _route: unknown,
            req: { $action?: { name: string } },
            _res: unknown,
            data: unknown,
          ) {
            const status = statusOf(req.$action?.name, data);
            if (status !== undefined) ctx.meta.$statusCode = status;
            if (req.$action?.name === "userevents.submit") {
              ctx.meta.$responseHeaders = { Location: `/jobs/${(data as SubmitResult).jobId}` };
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
          this.logger.warn(`Request answered with ${answer.status}.`, {
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

    methods: {
      /** Neither a route nor a file: a JSON 404 (a route asked with another method got 405 before). */
      send404(this: ApiThis & { sendError: SendError }, req: IncomingMessage, res: ServerResponse) {
        this.sendError(
          req,
          res,
          Object.assign(new Error("Not found"), { code: 404, type: "NOT_FOUND" }),
        );
      },
    },

    actions: {
      /** 200 when both services answer and reach Kafka and SQLite; 503 with the failing checks otherwise. */
      health: {
        async handler(this: ApiThis, ctx: Context<unknown, Meta>): Promise<HealthReport> {
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

      /** Everything the dashboard shows, in one answer. */
      dashboard: {
        async handler(this: ApiThis, ctx: Context): Promise<DashboardState> {
          const opts = { timeout: HEALTH_TIMEOUT_MS };
          const [stats, events] = await Promise.all([
            ctx.call<StatsDashboard, Record<string, never>>("userstats.dashboard", {}, opts),
            ctx.call<{ produced: number; jobs: Job[] }, Record<string, never>>(
              "userevents.dashboard",
              {},
              opts,
            ),
          ]);
          const { consumed, ...rest } = stats;
          return {
            timestamp: new Date().toISOString(),
            ...rest,
            counters: { produced: events.produced, consumed },
            jobs: events.jobs,
          };
        },
      },

      /** The OpenAPI 3 document of this gateway. */
      openapi: {
        handler(this: ApiThis) {
          return buildOpenApi("/");
        },
      },
    },
  };
  return schema;
}

export default createApiService(loadConfig());
