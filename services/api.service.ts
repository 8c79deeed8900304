/**
 * api: the HTTP gateway (moleculer-web) on HTTP_PORT. Maps routes to actions of userevents and
 * userstats over RabbitMQ, serves the dashboard (public/) and the API docs, and answers every error
 * as JSON `{ error: { type, message, data } }`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { Errors, type Context, type Service, type ServiceSchema } from "moleculer";
import bodyParser from "body-parser";
import ApiGateway from "moleculer-web";
import serveStatic from "serve-static";
import { loadConfig, type Config } from "../lib/config";
import {
  MethodNotAllowedError,
  RateLimitedError,
  ReportsBusyError,
  UnsupportedMediaTypeError,
} from "../lib/errors";
import { Admission } from "../lib/admission";
import { Uploads } from "../lib/uploads";
import { isSameOrigin, originMatcher } from "../lib/cors";
import { utf8Body } from "../lib/utf8";
import { invalidParameters, unknownParameters } from "../lib/count-param";
import type { CheckResult } from "../lib/health";
import { clientErrorResponse, rawErrorResponse, toHttpError } from "../lib/http-errors";
import { listenFailsToCallback } from "../lib/net";
import { buildOpenApi } from "../lib/openapi";
import { CSP, cspForPath, setSecurityHeaders } from "../lib/security-headers";
import { projectRoot } from "../lib/paths";
import { reportAnswer } from "../lib/report-answer";
import { ReportCache, type ReportReply } from "../lib/report-cache";
import { FixedWindowLimiter } from "../lib/rate-limit";
import {
  allowedFor,
  allowHeader,
  API_ROUTES,
  hasMethodAliases,
  headAliases,
  isWrite,
  wrongMethods,
} from "../lib/routes";
import type { Job } from "../lib/job-store";
import type { SubmitResult } from "./userevents.service";
import type { SendReportResult, StatsDashboard } from "./userstats.service";

type ApiThis = Service<Record<string, unknown>>;
type ApiCacheThis = ApiThis & {
  /** userstats's JSON reports, kept current by its announcements (lib/report-cache.ts). */
  reports: ReportCache;
  /** Requests whose bodies are arriving (ended soon after the gateway begins to stop). */
  uploads: Uploads;
};
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
          res.setHeader("Allow", allowHeader(w.allowed));
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
/** NDJSON under its other common names (JSON Lines among them). */
const NDJSON_TYPES = new Set([
  NDJSON,
  "application/ndjson",
  "application/jsonl",
  "application/x-jsonlines",
]);
/** Neither a route nor a file: answered as a JSON 404. */
const notFound = (): Error =>
  Object.assign(new Error("Not found"), { code: 404, type: "NOT_FOUND" });
/** What /docs/vendor serves of swagger-ui-dist: the files public/docs/index.html loads. */
const DOCS_VENDOR_FILES = new Set(["/swagger-ui.css", "/swagger-ui-bundle.js"]);

export interface HealthReport {
  status: "ok" | "fail";
  checks: Record<string, CheckResult>;
}

/**
 * What the dashboard shows. A service that does not answer leaves its parts empty (null numbers,
 * empty lists) and is named in `unavailable`; the page then keeps what it showed of them before.
 */
export interface DashboardState {
  timestamp: string;
  total: number | null;
  topCities: [string, number][];
  counters: { produced: number | null; consumed: number | null };
  lag: number | null;
  jobs: Job[];
  reports: StatsDashboard["reports"];
  unavailable: (typeof BACKENDS)[number][];
}

/** How often Node looks for requests past HTTP_REQUEST_TIMEOUT_MS (and headers past 20 s). */
const CONNECTIONS_CHECK_MS = 1000;
/** How long an upload still arriving when the gateway begins to stop gets to arrive. */
const UPLOAD_GRACE_MS = 3000;

/** Reports over a time window asked of userstats at once, and more waiting at the gateway. */
/** Reports over a time window asked of userstats at once (it counts them one at a time, on one
 * thread: a second would only wait there), and more waiting here, each for at most half of
 * RPC_TIMEOUT_MS (the rest is the report's: past its timeout a request would be a 503 anyway). */
const WINDOWS_RUNNING = 1;
const WINDOWS_WAITING = 8;

/**
 * Whether a request carries a body. An empty one is none: `Content-Length: 0`, or a chunked body
 * that ends at once, which is read to find out (the routes that ask take no body: nothing else
 * reads it, and what there is of it is dropped).
 */
function hasBody(req: IncomingMessage): Promise<boolean> {
  const length = req.headers["content-length"];
  if (length !== undefined) return Promise.resolve(length !== "0");
  if (req.headers["transfer-encoding"] === undefined || req.readableEnded) {
    return Promise.resolve(false);
  }
  return new Promise(resolve => {
    const answer = (body: boolean) => () => {
      req.off("data", onData).off("end", onEnd).off("error", onError);
      resolve(body);
    };
    const onData = answer(true);
    const onEnd = answer(false);
    // A body broken off half way was a body.
    const onError = answer(true);
    req.on("data", onData).on("end", onEnd).on("error", onError);
  });
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
  const writes = new FixedWindowLimiter(config.http.writeRateLimit, 60_000);
  const windows = new Admission(
    WINDOWS_RUNNING,
    WINDOWS_WAITING,
    waitedMs => new ReportsBusyError(WINDOWS_RUNNING, WINDOWS_WAITING, waitedMs),
    config.moleculer.requestTimeoutMs / 2,
  );
  const cors = config.http.corsOrigins.length > 0;
  let openApiDocument: Record<string, unknown> | undefined;
  const schema: ServiceSchema<Record<string, unknown>, ApiCacheThis> = {
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
      // A parameter named like an Object.prototype member (?constructor=x) is kept, so that it is
      // reported as unknown instead of silently dropped.
      qsOptions: { allowPrototypes: true },
      // Browsers may call the API from these origins only (none by default).
      cors: cors
        ? { origin: originMatcher(config.http.corsOrigins), methods: ["GET", "POST"], maxAge: 600 }
        : undefined,
      use: [
        (
          req: IncomingMessage & { originalUrl?: string },
          res: ServerResponse,
          next: (err?: Error) => void,
        ) => {
          // A browser sends Origin with the dashboard's and /docs' own POSTs too: a request from the
          // gateway's own origin is not a cross-origin one, whatever CORS_ORIGINS lists.
          const origin = req.headers.origin;
          if (cors && origin !== undefined && isSameOrigin(origin, req.headers.host))
            delete req.headers.origin;
          // HTTP/1.1 requires Host (RFC 9112): checked here rather than by Node, whose own 400
          // has an empty body.
          if (req.httpVersion === "1.1" && req.headers.host === undefined) {
            next(
              new Errors.MoleculerClientError(
                "The request has no Host header, which HTTP/1.1 requires.",
                400,
                "BAD_REQUEST",
              ),
            );
            return;
          }
          const urlPath = (req.originalUrl ?? req.url ?? "/").split("?")[0] ?? "/";
          if (isWrite(req.method ?? "", urlPath)) {
            const decision = writes.hit(req.socket.remoteAddress ?? "unknown");
            for (const [name, value] of Object.entries(decision.headers))
              res.setHeader(name, value);
            if (!decision.allowed) {
              next(new RateLimitedError(config.http.writeRateLimit));
              return;
            }
          }
          // OPTIONS says which methods a route takes and runs nothing; a CORS preflight is left to
          // moleculer-web when CORS is on.
          if (
            req.method === "OPTIONS" &&
            !(cors && req.headers["access-control-request-method"] !== undefined)
          ) {
            const allowed = allowedFor(urlPath);
            if (allowed.length > 0) {
              res.writeHead(204, { Allow: allowHeader(allowed) });
              res.end();
              return;
            }
          }
          // A method a route does not take is 405: the common ones by the routes' 405 aliases
          // (after the CORS headers), any other (TRACE, PROPFIND…) here, instead of a 404 as if
          // the route did not exist. Browsers send none of those, so they need no CORS headers.
          const allowed = allowedFor(urlPath);
          const method = (req.method ?? "").toUpperCase();
          if (
            allowed.length > 0 &&
            method !== "OPTIONS" &&
            !hasMethodAliases(method) &&
            !allowed.includes(method)
          ) {
            res.setHeader("Allow", allowHeader(allowed));
            next(new MethodNotAllowedError(method, allowed));
            return;
          }
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
          // Both kinds are read as bytes, checked to be UTF-8 and parsed by userevents: a parsed
          // body would travel over RabbitMQ as an object, and a deeply nested one overflows the
          // serializer's stack; a text parser would turn bytes that are not UTF-8 into U+FFFD.
          // inflate: false refuses compressed bodies (415) instead of failing inside zlib.
          // The parser runs as this route's own middleware, after the gateway's (moleculer-web
          // puts `bodyParsers` before them): a client over its rate limit is refused before its
          // body is read, and a 413 or 415 carries the security and RateLimit headers.
          bodyParsers: false,
          use: [
            bodyParser.raw({
              type: ["application/json", ...NDJSON_TYPES],
              limit: config.http.bodyLimitBytes,
              inflate: false,
            }),
          ],
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
            // It takes no parameter: one given (?topic=…) is refused rather than silently ignored.
            const unknown = unknownParameters((req.$params.query ?? {}) as Record<string, unknown>);
            if (unknown.length > 0) throw invalidParameters(unknown);
            const contentType = (req.headers["content-type"] ?? "").toLowerCase();
            const type = contentType.split(";")[0]?.trim();
            // JSON is UTF-8 (RFC 8259): another charset is refused rather than transcoded.
            const charset = /charset=([^;\s]+)/.exec(contentType)?.[1]?.replace(/"/g, "");
            if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") {
              throw Object.assign(new Error(`Unsupported charset "${charset}"`), {
                code: 415,
                type: "charset.unsupported",
              });
            }
            // Without a body, the parser leaves an object, not bytes: an empty JSON body is then
            // "not JSON" (400) like any other, an empty NDJSON body holds no events.
            const text = utf8Body(req.$params.body);
            if (type === "application/json") req.$params = { json: text };
            else if (type !== undefined && NDJSON_TYPES.has(type)) req.$params = { ndjson: text };
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
            // Only the two files the page loads; not the package's other files.
            (req: IncomingMessage, _res: ServerResponse, next: (err?: Error) => void) => {
              const file = (req.url ?? "").split("?")[0];
              if (file === undefined || !DOCS_VENDOR_FILES.has(file)) {
                next(notFound());
                return;
              }
              next();
            },
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
          // No route here takes a body: none is parsed (a bad body to an unknown path is a 404).
          bodyParsers: false,
          aliases: {
            ...Object.fromEntries(
              API_ROUTES.filter(r => r.action !== undefined).map(r => [
                `${r.method} ${r.path}`,
                r.action,
              ]),
            ),
            ...headAliases(),
            ...methodNotAllowedAliases(p => p !== "events", ""),
          },
          onBeforeCall(
            ctx: Context<unknown, Meta>,
            _route: unknown,
            req: IncomingMessage & { $action?: { name: string } },
          ) {
            // userstats may then answer the report as ready-made JSON text (see its report action).
            if (req.$action?.name === "api.report") ctx.meta.jsonText = true;
            // No route here takes a body (POST /report/send sends to REPORT_TO): one ({"to": …}) is
            // refused, not silently ignored. A method a route does not take (no action: one of the
            // 405 aliases) gets its 405, body or not. Only such a POST waits for anything.
            if (req.method !== "POST" || req.$action === undefined) return undefined;
            return hasBody(req).then(body => {
              if (!body) return;
              throw invalidParameters([
                {
                  field: "body",
                  type: "forbidden",
                  message: `${req.method} ${(req.url ?? "").split("?")[0]} takes no body.`,
                },
              ]);
            });
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
        const answer = toHttpError(err, { bodyLimitBytes: config.http.bodyLimitBytes });
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
      /**
       * moleculer-web's own handler logs every 5xx as an error with its stack before answering; the
       * gateway's onError logs a fault with its stack and an expected 503 (a service down, busy or
       * late) as one warning.
       */
      errorHandler(
        this: ApiThis & { sendError: SendError },
        req: IncomingMessage,
        res: ServerResponse,
        err: Error,
      ) {
        this.sendError(req, res, err);
      },

      /** Neither a route nor a file: a JSON 404 (a route asked with another method got 405 before). */
      send404(this: ApiThis & { sendError: SendError }, req: IncomingMessage, res: ServerResponse) {
        this.sendError(req, res, notFound());
      },
    },

    events: {
      /** userstats stored new events: cached reports older than this version are stale. */
      "userstats.changed"(this: ApiCacheThis, ctx: Context<{ version: number }>) {
        this.reports.noteVersion(ctx.params.version);
      },
    },

    created(this: ApiCacheThis & { server?: import("node:http").Server }) {
      this.reports = new ReportCache();
      this.uploads = new Uploads();
      // moleculer waits for running requests before it stops any service; no hook of a service
      // comes earlier: an upload that stalled would hold that wait (lib/uploads.ts).
      const broker = this.broker;
      const stop = broker.stop.bind(broker);
      broker.stop = () => {
        this.uploads.endAfter(UPLOAD_GRACE_MS);
        return stop();
      };
      if (this.server !== undefined) {
        // Every answer, even one refused before any middleware (a URL moleculer-web cannot
        // decode, a 404): JSON (or CSV) that runs nothing. Pages set their own policy over it.
        this.server.prependListener("request", (_req: IncomingMessage, res: ServerResponse) =>
          setSecurityHeaders(res, CSP.api),
        );
        // A taken port fails the start (the process exits, and says why) instead of hanging it.
        listenFailsToCallback(this.server);
        // Node checks the request and headers timeouts every 30 s by default, so a slow client got
        // its 408 up to 30 s late; the server reads this when it starts listening.
        // (A documented option of http.createServer, missing from @types/node as a property.)
        (this.server as { connectionsCheckingInterval?: number }).connectionsCheckingInterval =
          CONNECTIONS_CHECK_MS;
        // Checked by the gateway instead, so that the 400 is JSON like every other (above).
        (this.server as { requireHostHeader?: boolean }).requireHostHeader = false;
        // CONNECT (a proxy's tunnel) is no route's: Node would close the connection without a
        // word. Node removed its own error listener from the socket: a reset must not crash us.
        this.server.on("connect", (_req: IncomingMessage, socket: import("node:stream").Duplex) => {
          socket.on("error", () => socket.destroy());
          socket.end(
            rawErrorResponse(
              "405 Method Not Allowed",
              "METHOD_NOT_ALLOWED",
              "CONNECT is not supported: this is an API gateway, not a proxy.",
            ),
            () => socket.destroy(),
          );
        });
      }
    },

    stopped(this: ApiCacheThis) {
      this.uploads.clear();
    },

    started(this: ApiCacheThis & { server?: import("node:http").Server }) {
      if (this.server !== undefined) {
        this.uploads.watch(this.server);
        // A slow client cannot hold a connection (or the gateway) forever.
        this.server.requestTimeout = config.http.requestTimeoutMs;
        this.server.headersTimeout = Math.min(config.http.requestTimeoutMs, 20_000);
      }
      // Requests Node cannot parse (a 20 KB URL, broken framing) get a JSON error too.
      this.server?.on(
        "clientError",
        (err: NodeJS.ErrnoException, socket: import("node:stream").Duplex) => {
          // With a clientError listener, closing the socket is ours to do: once the answer is out,
          // it is destroyed rather than left to a client that may never close its side.
          if (socket.writable) socket.end(clientErrorResponse(err.code), () => socket.destroy());
          else socket.destroy();
        },
      );
    },

    actions: {
      /**
       * GET /report: userstats's report, served from a cache while userstats announces no change
       * or would answer the same build (and for at most a second), with a fresh timestamp. At a
       * million users the report is ~200 KiB; moving it over RabbitMQ for every request cost ~6 ms
       * (docs/BENCHMARKS.md, lib/report-cache.ts).
       */
      report: {
        params: { $$strict: false },
        async handler(
          this: ApiCacheThis,
          ctx: Context<Record<string, unknown>, Meta>,
        ): Promise<unknown> {
          // A report over a time window scans it on userstats' thread, which also consumes: a
          // few at a time reach it, a few more wait here, the rest are 503 (README).
          const windowed = ctx.params.from !== undefined || ctx.params.to !== undefined;
          const ask = <T>(call: () => Promise<T>): Promise<T> =>
            windowed ? windows.run(call) : call();
          if (
            ctx.meta.jsonText !== true ||
            (ctx.params.format !== undefined && ctx.params.format !== "json")
          ) {
            return ask(() => ctx.call("userstats.report", ctx.params));
          }
          const key = JSON.stringify(Object.entries(ctx.params).sort());
          const report = await this.reports.get(key, async have => {
            const json = await ask(() =>
              ctx.call<string, Record<string, unknown>>("userstats.report", ctx.params, {
                meta: { reportHave: have },
              }),
            );
            // userstats's answer meta, merged into this request's by moleculer.
            const meta = ctx.meta;
            const version = typeof meta.reportVersion === "number" ? meta.reportVersion : -1;
            const freshForMs =
              typeof meta.reportFreshForMs === "number" ? meta.reportFreshForMs : 0;
            const reply: ReportReply =
              meta.reportNotModified === true
                ? { notModified: true, version, freshForMs }
                : { notModified: false, version, freshForMs, json };
            return reply;
          });
          // The time of this answer in front of the cached bytes (lib/report-answer.ts).
          const { body, length } = reportAnswer(report.tail, new Date());
          ctx.meta.$responseType = "application/json; charset=utf-8";
          ctx.meta.$responseHeaders = { "Content-Length": String(length) };
          return body;
        },
      },

      /** 200 when both services answer and reach Kafka and SQLite; 503 with the failing checks otherwise. */
      health: {
        async handler(this: ApiThis, ctx: Context<unknown, Meta>): Promise<HealthReport> {
          const checks: Record<string, CheckResult> = {
            rabbitmq: { ok: this.broker.transit?.connected === true, ms: 0 },
          };
          await Promise.all(
            BACKENDS.map(async name => {
              const started = Date.now();
              // Not asked before any node of it joined: moleculer would log a warning per call
              // while `make up` waits for health.
              const registry = this.broker.registry as unknown as {
                hasService(name: string): boolean;
              };
              if (!registry.hasService(name)) {
                checks[name] = { ok: false, ms: 0, error: `No node of ${name} is connected.` };
                return;
              }
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
          // One service down leaves the other's part on the page (jobs go on without userstats);
          // with neither, the answer is the error (503).
          const [stats, events] = await Promise.allSettled([
            ctx.call<StatsDashboard, Record<string, never>>("userstats.dashboard", {}, opts),
            ctx.call<{ produced: number; jobs: Job[] }, Record<string, never>>(
              "userevents.dashboard",
              {},
              opts,
            ),
          ]);
          if (stats.status === "rejected" && events.status === "rejected") throw stats.reason;
          const s = stats.status === "fulfilled" ? stats.value : undefined;
          const e = events.status === "fulfilled" ? events.value : undefined;
          return {
            timestamp: new Date().toISOString(),
            total: s?.total ?? null,
            topCities: s?.topCities ?? [],
            counters: { produced: e?.produced ?? null, consumed: s?.consumed ?? null },
            lag: s?.lag ?? null,
            jobs: e?.jobs ?? [],
            reports: s?.reports ?? [],
            unavailable: [
              ...(s === undefined ? (["userstats"] as const) : []),
              ...(e === undefined ? (["userevents"] as const) : []),
            ],
          };
        },
      },

      /** The OpenAPI 3 document of this gateway (built once: it depends on nothing at run time). */
      openapi: {
        handler(this: ApiThis) {
          openApiDocument ??= buildOpenApi("/");
          return openApiDocument;
        },
      },
    },
  };
  // The schema is typed with its own `this`; moleculer takes the plain schema type.
  return schema as unknown as ServiceSchema;
}

export default createApiService(loadConfig());
