/**
 * The OpenAPI 3 document of the gateway, kept in this one file. A test checks that it documents
 * exactly the routes of lib/routes.ts, and that real answers match its schemas.
 */
import { REPORT_DIMENSIONS, REPORT_FORMATS, MAX_TOP } from "./report-query";

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema, example?: unknown): Schema => ({
  "application/json": example === undefined ? { schema } : { schema, example },
});
const errorResponse = (description: string, example: unknown): Schema => ({
  description,
  content: json(ref("Error"), example),
});
const unavailable = errorResponse(
  "A service needed for this request is unreachable; retry after Retry-After seconds.",
  {
    error: {
      type: "SERVICE_UNAVAILABLE",
      message: "A service needed for this request is unavailable; retry later.",
      data: { cause: "REQUEST_TIMEOUT" },
    },
  },
);
const tooMany = errorResponse("Rate limit exceeded; retry after Retry-After seconds.", {
  error: {
    type: "RATE_LIMITED",
    message: "Too many requests: at most 600 writes a minute; retry after Retry-After seconds.",
  },
});

const ID = "278ab326-52d4-4d4b-9d4a-1c2e3f4a5b6c";
const exampleReport = {
  timestamp: "2026-11-27T08:00:00.000Z",
  total: 1000,
  filters: { by: "city", top: 3 },
  stats: { "New York, NY": 39, "Los Angeles, CA": 19, "Chicago, IL": 13 },
};
const exampleRecord = {
  id: 7,
  createdAt: "2026-11-27T08:00:00.000Z",
  trigger: "schedule",
  total: 1000,
  status: "sent",
  attempts: 1,
  recipients: ["managers@example.com"],
  nextAttemptAt: null,
  error: null,
  sentAt: "2026-11-27T08:00:01.000Z",
  messageId: "<report-7.1795766400000@event-pipeline.local>",
};

const schemas: Record<string, Schema> = {
  Error: {
    type: "object",
    required: ["error"],
    properties: {
      error: {
        type: "object",
        required: ["type", "message"],
        properties: {
          type: { type: "string", description: "Stable machine-readable error type." },
          message: { type: "string" },
          data: { description: "Details, e.g. the list of invalid fields." },
        },
      },
    },
  },
  Address: {
    type: "object",
    required: ["city"],
    properties: {
      city: { type: "string", minLength: 1, maxLength: 200 },
      state: { type: ["string", "null"], maxLength: 200 },
      country: { type: ["string", "null"], maxLength: 200 },
      postCode: { type: ["string", "number", "null"], maxLength: 200 },
    },
  },
  UserEvent: {
    type: "object",
    required: ["id", "address", "datetime"],
    properties: {
      id: { type: "string", format: "uuid" },
      address: ref("Address"),
      datetime: {
        type: "string",
        description: "ISO-8601 date-time; without an offset it is taken as UTC.",
      },
    },
    example: {
      id: ID,
      address: { city: "holland ", state: "Mi", country: "USA", postCode: 49423 },
      datetime: "2019-05-07 17:33:20.592",
    },
  },
  SubmitAccepted: {
    type: "object",
    required: ["accepted", "jobId"],
    properties: {
      accepted: { type: "integer", minimum: 1 },
      jobId: { type: "string", format: "uuid" },
    },
  },
  Job: {
    type: "object",
    required: ["id", "state", "total", "produced", "createdAt", "updatedAt"],
    properties: {
      id: { type: "string" },
      state: { type: "string", enum: ["running", "done", "failed"] },
      total: { type: "integer" },
      produced: { type: "integer" },
      createdAt: { type: "string", format: "date-time" },
      updatedAt: { type: "string", format: "date-time" },
      error: { type: "string" },
    },
  },
  IngestAnswer: {
    type: "object",
    required: ["accepted", "rejected", "rejectedCount"],
    properties: {
      accepted: { type: "integer" },
      rejectedCount: {
        type: "integer",
        description: "Every rejected event; `rejected` lists the first 1,000 of them.",
      },
      rejected: {
        type: "array",
        maxItems: 1000,
        items: {
          type: "object",
          required: ["index", "errors"],
          properties: {
            index: { type: "integer" },
            line: { type: "integer", description: "NDJSON only: line in the body, from 1." },
            errors: {
              type: "array",
              items: {
                type: "object",
                required: ["field", "type", "message"],
                properties: {
                  field: { type: "string" },
                  type: { type: "string" },
                  message: { type: "string" },
                },
              },
            },
          },
        },
      },
    },
  },
  Report: {
    type: "object",
    required: ["timestamp", "total", "filters", "stats"],
    properties: {
      timestamp: { type: "string", format: "date-time" },
      total: { type: "integer", description: "Distinct users (in the window, if any)." },
      filters: {
        type: "object",
        required: ["by"],
        properties: {
          by: { type: "string", enum: [...REPORT_DIMENSIONS] },
          top: { type: "integer" },
          from: { type: "string", format: "date-time" },
          to: { type: "string", format: "date-time" },
        },
      },
      stats: {
        type: "object",
        additionalProperties: { type: "integer" },
        description:
          'Biggest first. Keys: "City, ST" ("City, ??" when the state is unknown; "City (CC)" for a city of another country), a state code, or a country (ISO code).',
      },
    },
  },
  ReportRecord: {
    type: "object",
    required: [
      "id",
      "createdAt",
      "trigger",
      "total",
      "status",
      "attempts",
      "recipients",
      "messageId",
    ],
    properties: {
      id: { type: "integer" },
      createdAt: { type: "string", format: "date-time" },
      trigger: { type: "string", enum: ["schedule", "request"] },
      total: { type: "integer" },
      status: { type: "string", enum: ["pending", "sent", "logged", "failed"] },
      attempts: { type: "integer" },
      recipients: { type: "array", items: { type: "string" } },
      nextAttemptAt: { type: ["string", "null"] },
      error: { type: ["string", "null"] },
      sentAt: { type: ["string", "null"] },
      messageId: { type: "string" },
    },
  },
  SendReportResult: {
    allOf: [
      ref("ReportRecord"),
      {
        type: "object",
        required: ["report"],
        properties: {
          report: ref("Report"),
          delivery: {
            type: "object",
            properties: {
              via: { type: "string", enum: ["smtp", "log"] },
              to: { type: "array", items: { type: "string" } },
              messageId: { type: "string" },
            },
          },
        },
      },
    ],
  },
  StoredReport: {
    allOf: [
      ref("ReportRecord"),
      {
        type: "object",
        required: ["subject", "text", "html", "report"],
        properties: {
          subject: { type: "string" },
          text: { type: "string" },
          html: { type: "string" },
          report: ref("Report"),
        },
      },
    ],
  },
  HealthReport: {
    type: "object",
    required: ["status", "checks"],
    properties: {
      status: { type: "string", enum: ["ok", "fail"] },
      checks: {
        type: "object",
        additionalProperties: {
          type: "object",
          required: ["ok", "ms"],
          properties: {
            ok: { type: "boolean" },
            ms: { type: "number" },
            error: { type: "string" },
          },
        },
      },
    },
  },
  DashboardState: {
    type: "object",
    required: [
      "timestamp",
      "total",
      "topCities",
      "counters",
      "lag",
      "jobs",
      "reports",
      "unavailable",
    ],
    description:
      "A service that does not answer leaves its parts empty (null numbers, empty lists) and is named in unavailable; with neither answering, the answer is 503.",
    properties: {
      timestamp: { type: "string", format: "date-time" },
      total: { type: ["integer", "null"] },
      topCities: {
        type: "array",
        items: { type: "array", prefixItems: [{ type: "string" }, { type: "integer" }] },
      },
      counters: {
        type: "object",
        required: ["produced", "consumed"],
        properties: {
          produced: { type: ["integer", "null"] },
          consumed: { type: ["integer", "null"] },
        },
        description:
          "Events produced and consumed since each service started (rates come from two samples).",
      },
      lag: { type: ["integer", "null"] },
      jobs: { type: "array", items: ref("Job") },
      reports: { type: "array", items: ref("ReportRecord") },
      unavailable: {
        type: "array",
        items: { type: "string", enum: ["userstats", "userevents"] },
      },
    },
  },
};

const validation = (field: string, type: string, message: string): unknown => ({
  error: {
    type: "VALIDATION_ERROR",
    message: `Invalid parameter: ${field}`,
    data: [{ field, type, message }],
  },
});

/** The document; `server` is the base URL shown to readers. */
export function buildOpenApi(server: string): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    info: {
      title: "event-pipeline",
      version: "0.1.0",
      description:
        "Submit generated users or bring your own events; read and send per-city reports. Every error is JSON " +
        "`{ error: { type, message, data } }`; 503 answers carry Retry-After. Besides the answers listed per route, " +
        "any API route answers 405 METHOD_NOT_ALLOWED (with Allow) to a method it does not take, 400 " +
        "UNABLE_DECODE_PARAM to a path that does not decode (`/submit/%`), 408 REQUEST_TIMEOUT to a request that " +
        "does not arrive within HTTP_REQUEST_TIMEOUT_MS and 431 HEADERS_TOO_LARGE to oversized headers.",
    },
    servers: [{ url: server }],
    paths: {
      "/submit/{n}": {
        get: {
          operationId: "submit",
          summary: "Generate n users and produce them to Kafka (in the background)",
          parameters: [
            {
              name: "n",
              in: "path",
              required: true,
              schema: { type: "integer", minimum: 1 },
              example: 100,
              description: "1 to SUBMIT_MAX (default 1,000,000).",
            },
          ],
          responses: {
            "202": {
              description: "Accepted; follow Location for progress.",
              headers: { Location: { schema: { type: "string" }, example: "/jobs/4b0c6d8e-…" } },
              content: json(ref("SubmitAccepted"), {
                accepted: 100,
                jobId: "4b0c6d8e-5f3a-4c1b-9d2e-7f8a9b0c1d2e",
              }),
            },
            "422": errorResponse(
              "n is not a whole number from 1 to SUBMIT_MAX.",
              validation("n", "numberMin", "'n' must be at least 1."),
            ),
            "429": tooMany,
            "503": unavailable,
          },
        },
      },
      "/jobs/{id}": {
        get: {
          operationId: "getJob",
          summary: "Progress of a submit job",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
          responses: {
            "200": {
              description: "The job.",
              content: json(ref("Job"), {
                id: "4b0c6d8e-5f3a-4c1b-9d2e-7f8a9b0c1d2e",
                state: "running",
                total: 100000,
                produced: 40000,
                createdAt: "2026-11-27T08:00:00.000Z",
                updatedAt: "2026-11-27T08:00:01.000Z",
              }),
            },
            "404": errorResponse("No such job.", {
              error: { type: "JOB_NOT_FOUND", message: 'No job with id "x"' },
            }),
            "422": errorResponse(
              "An id longer than 100 characters, or an unknown query parameter.",
              validation("id", "stringMax", "'id' must be at most 100 characters long."),
            ),
            "503": unavailable,
          },
        },
      },
      "/events": {
        post: {
          operationId: "postEvents",
          summary: "Bring your own events (JSON array or NDJSON), each validated on its own",
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: { type: "array", items: ref("UserEvent") },
                example: [schemas.UserEvent?.example],
              },
              "application/x-ndjson": {
                schema: { type: "string" },
                example: `${JSON.stringify(schemas.UserEvent?.example)}\n`,
              },
              // The same, under NDJSON's other names.
              ...Object.fromEntries(
                ["application/ndjson", "application/jsonl", "application/x-jsonlines"].map(type => [
                  type,
                  { schema: { type: "string" } },
                ]),
              ),
            },
          },
          responses: {
            "202": {
              description:
                "The valid events are in Kafka; the invalid ones are listed (the first 1,000) and stored nowhere.",
              content: json(ref("IngestAnswer"), {
                accepted: 1,
                rejectedCount: 1,
                rejected: [
                  {
                    index: 1,
                    errors: [
                      { field: "id", type: "uuid", message: "The 'id' field must be a UUID." },
                    ],
                  },
                ],
              }),
            },
            "400": errorResponse(
              "The body is not JSON (or no NDJSON line is), or not UTF-8 (INVALID_UTF8, with the offset of the first bad byte).",
              {
                error: { type: "MALFORMED_JSON", message: "The request body is not valid JSON." },
              },
            ),
            "413": errorResponse("The body is larger than HTTP_BODY_LIMIT_BYTES.", {
              error: {
                type: "PAYLOAD_TOO_LARGE",
                message:
                  "The request body is larger than 5242880 bytes (HTTP_BODY_LIMIT_BYTES); send the events in smaller batches.",
                data: { limit: 5242880 },
              },
            }),
            "415": errorResponse(
              "Another content type (UNSUPPORTED_MEDIA_TYPE), a charset other than UTF-8 (UNSUPPORTED_CHARSET), or a compressed body (UNSUPPORTED_ENCODING).",
              {
                error: {
                  type: "UNSUPPORTED_MEDIA_TYPE",
                  message:
                    'Content-Type "text/plain" is not supported; use application/json or application/x-ndjson.',
                },
              },
            ),
            "422": errorResponse(
              "JSON that is not an array (INVALID_BODY), more than 100,000 events (TOO_MANY_EVENTS), or a query parameter (VALIDATION_ERROR).",
              {
                error: {
                  type: "INVALID_BODY",
                  message: "The body must be a JSON array of events.",
                },
              },
            ),
            "429": tooMany,
            "503": unavailable,
          },
        },
      },
      "/report": {
        get: {
          operationId: "getReport",
          summary: "Distinct users per city, state or country, biggest first",
          parameters: [
            {
              name: "by",
              in: "query",
              schema: { type: "string", enum: [...REPORT_DIMENSIONS], default: "city" },
            },
            { name: "top", in: "query", schema: { type: "integer", minimum: 1, maximum: MAX_TOP } },
            {
              name: "from",
              in: "query",
              schema: { type: "string" },
              example: "2026-11-01",
              description: "Inclusive; a date or date-time (UTC without offset).",
            },
            {
              name: "to",
              in: "query",
              schema: { type: "string" },
              example: "2026-11-27",
              description: "Inclusive; a bare date covers the whole day.",
            },
            {
              name: "format",
              in: "query",
              schema: { type: "string", enum: [...REPORT_FORMATS], default: "json" },
            },
          ],
          responses: {
            "200": {
              description: "The report (JSON), or its table (CSV).",
              content: {
                ...json(ref("Report"), exampleReport),
                "text/csv": {
                  schema: { type: "string" },
                  example: "city,state,country,users\nNew York,NY,US,39\n",
                },
              },
            },
            "422": errorResponse("A bad or unknown parameter, named in data.", {
              error: {
                type: "VALIDATION_ERROR",
                message: "Invalid parameter: by",
                data: [
                  {
                    field: "by",
                    type: "enumValue",
                    message: "'by' must be one of city, state, country.",
                  },
                ],
              },
            }),
            "503": errorResponse(
              "A service is unreachable, or more reports over a time window (from/to) are asked at once than the gateway lets through (1 running, 8 waiting, each for at most half of RPC_TIMEOUT_MS; data.cause REPORTS_BUSY). Retry after Retry-After seconds.",
              {
                error: {
                  type: "SERVICE_UNAVAILABLE",
                  message: "A service needed for this request is unavailable; retry later.",
                  data: { cause: "REPORTS_BUSY" },
                },
              },
            ),
          },
        },
      },
      "/report/send": {
        post: {
          operationId: "sendReport",
          summary: "Build the report now and email it (or log it without SMTP)",
          responses: {
            "200": {
              description: "Sent (or logged).",
              content: json(ref("SendReportResult"), {
                ...exampleRecord,
                trigger: "request",
                report: exampleReport,
              }),
            },
            "202": {
              description:
                "Stored, but the mail server refused it for now (it is retried with backoff) or has not answered within 5 s (half of RPC_TIMEOUT_MS when that is shorter; the attempt goes on).",
              content: json(ref("SendReportResult"), {
                ...exampleRecord,
                status: "pending",
                sentAt: null,
                error: "connect ECONNREFUSED",
                report: exampleReport,
              }),
            },
            "422": errorResponse(
              "A query parameter or a body: this request takes neither.",
              validation("to", "unknownParameter", "Unknown parameter 'to'."),
            ),
            "429": tooMany,
            "502": errorResponse(
              "Stored, but the mail server refused it outright (SMTP 5xx) and no attempt is left (REPORT_MAX_ATTEMPTS); it stays in the history as failed.",
              {
                error: {
                  type: "REPORT_NOT_SENT",
                  message:
                    "The mail server refused report 7 and no attempt is left: 550 mailbox unavailable",
                  data: { id: 7, status: "failed", attempts: 1, error: "550 mailbox unavailable" },
                },
              },
            ),
            "503": unavailable,
          },
        },
      },
      "/reports": {
        get: {
          operationId: "listReports",
          summary: "Report history with send status, newest first",
          parameters: [
            {
              name: "limit",
              in: "query",
              schema: { type: "integer", minimum: 1, maximum: 200, default: 20 },
            },
            {
              name: "before",
              in: "query",
              schema: { type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
              description: "Page backwards: reports with a smaller id.",
            },
          ],
          responses: {
            "200": {
              description: "A page of the history.",
              content: json(
                {
                  type: "object",
                  required: ["reports", "next"],
                  properties: {
                    reports: { type: "array", items: ref("ReportRecord") },
                    next: { type: ["string", "null"] },
                  },
                },
                { reports: [exampleRecord], next: null },
              ),
            },
            "422": errorResponse(
              "A bad parameter.",
              validation("limit", "numberMax", "'limit' must be at most 200."),
            ),
            "503": unavailable,
          },
        },
      },
      "/reports/{id}": {
        get: {
          operationId: "getStoredReport",
          summary: "One stored report; format=html shows it as the email does",
          parameters: [
            {
              name: "id",
              in: "path",
              required: true,
              schema: { type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
            },
            {
              name: "format",
              in: "query",
              schema: { type: "string", enum: ["json", "html", "csv"], default: "json" },
            },
          ],
          responses: {
            "200": {
              description: "The report.",
              content: {
                ...json(ref("StoredReport")),
                "text/html": { schema: { type: "string" } },
                "text/csv": { schema: { type: "string" } },
              },
            },
            "404": errorResponse("No such report.", {
              error: { type: "REPORT_NOT_FOUND", message: "No report with id 99" },
            }),
            "422": errorResponse(
              "A bad id (not a whole number in plain digits) or format.",
              validation(
                "id",
                "integer",
                "'id' must be a whole number from 1 to 9007199254740991.",
              ),
            ),
            "503": unavailable,
          },
        },
      },
      "/healthcheck": {
        get: {
          operationId: "healthcheck",
          summary:
            "Whether the gateway reaches both services and they reach RabbitMQ, Kafka and SQLite",
          responses: {
            "200": {
              description: "All checks pass.",
              content: json(ref("HealthReport"), {
                status: "ok",
                checks: {
                  rabbitmq: { ok: true, ms: 0 },
                  "userstats.kafka": { ok: true, ms: 3, brokers: 1 },
                },
              }),
            },
            "503": {
              description: "At least one check fails.",
              content: json(ref("HealthReport"), {
                status: "fail",
                checks: { userstats: { ok: false, ms: 3000, error: "Request timed out" } },
              }),
            },
          },
        },
      },
      "/dashboard/state": {
        get: {
          operationId: "dashboardState",
          summary: "What the dashboard at / shows, in one answer",
          responses: {
            "200": { description: "The state.", content: json(ref("DashboardState")) },
            "503": unavailable,
          },
        },
      },
      "/": {
        get: {
          operationId: "dashboard",
          summary:
            "The dashboard: totals, top cities, rates, lag, reports and jobs, refreshing itself",
          responses: { "200": { description: "The page.", content: { "text/html": {} } } },
        },
      },
      "/docs/": {
        get: {
          operationId: "docs",
          summary: "This document as a browsable page (Swagger UI, served locally)",
          responses: { "200": { description: "The page.", content: { "text/html": {} } } },
        },
      },
      "/openapi.json": {
        get: {
          operationId: "openapi",
          summary: "This document",
          responses: {
            "200": { description: "OpenAPI 3.1 document.", content: json({ type: "object" }) },
          },
        },
      },
    },
    components: { schemas },
  };
}
