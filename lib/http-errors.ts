/**
 * Turns any error reaching the gateway into the HTTP answer `{ error: { type, message, data } }`:
 * client errors keep their 4xx code and details; an unreachable, timed-out or overloaded service
 * becomes 503 with Retry-After; an upstream of a service that refused (the mail server) 502 with its
 * type; anything else is a 500 that reveals no internals.
 */
import { invalidParametersMessage } from "./count-param";
import { CSP, securityHeaders } from "./security-headers";

export interface HttpError {
  status: number;
  headers: Record<string, string>;
  body: { error: { type: string; message: string; data?: unknown } };
}

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  type?: unknown;
  data?: unknown;
  status?: unknown;
  retryable?: unknown;
}

/** Moleculer errors meaning "the service cannot be reached right now". */
const UNAVAILABLE_TYPES = new Set([
  "SERVICE_NOT_FOUND",
  "SERVICE_NOT_AVAILABLE",
  "REQUEST_TIMEOUT",
  "REQUEST_REJECTED",
  "QUEUE_FULL",
  "BAD_GATEWAY",
  "DEPENDENCY_UNAVAILABLE",
  "SHUTTING_DOWN",
]);

/** body-parser (used by moleculer-web) reports its failures with these `type`s. */
const BODY_PARSER_TYPES: Record<string, { status: number; type: string; message: string }> = {
  "entity.parse.failed": {
    status: 400,
    type: "MALFORMED_JSON",
    message: "The request body is not valid JSON.",
  },
  "entity.too.large": {
    status: 413,
    type: "PAYLOAD_TOO_LARGE",
    message: "The request body is too large.",
  },
  "encoding.unsupported": {
    status: 415,
    type: "UNSUPPORTED_ENCODING",
    message: "Unsupported content encoding.",
  },
  "charset.unsupported": {
    status: 415,
    type: "UNSUPPORTED_CHARSET",
    message: "Unsupported charset.",
  },
  "request.aborted": { status: 400, type: "REQUEST_ABORTED", message: "The request was aborted." },
};

export const RETRY_AFTER_SECONDS = 5;

/** Keys moleculer's validator adds to each problem, which say where it ran, not what is wrong. */
const INTERNAL_KEYS = new Set(["nodeID", "action"]);

/**
 * The validator's messages for the problems a route parameter can have, in the gateway's own
 * words (as /report's check words them: "'format' must be one of json, csv.").
 */
const OWN_WORDING: Record<string, (field: string, expected: unknown) => string> = {
  enumValue: (f, e) => `'${f}' must be one of ${String(e)}.`,
  stringMax: (f, e) => `'${f}' must be at most ${String(e)} characters long.`,
  stringMin: (f, e) =>
    e === 1 ? `'${f}' must not be empty.` : `'${f}' must be at least ${String(e)} characters long.`,
  required: f => `'${f}' is required.`,
};

/**
 * A client error's details without the node and action that found them; an unknown-parameters
 * problem of the validator (`$$strict`) becomes one `unknownParameter` problem per parameter, named
 * in `field`, as /report's own check gives them.
 */
function clientData(data: unknown): unknown {
  if (!Array.isArray(data)) return data;
  return data.flatMap((item: unknown) => {
    if (typeof item !== "object" || item === null) return [item];
    const kept = Object.fromEntries(
      Object.entries(item as Record<string, unknown>).filter(([k]) => !INTERNAL_KEYS.has(k)),
    );
    const worded =
      typeof kept.field === "string" && Object.hasOwn(OWN_WORDING, String(kept.type))
        ? OWN_WORDING[String(kept.type)]
        : undefined;
    // Reworded only from what the problem says (a check that gave no `expected` keeps its words).
    if (worded !== undefined && (kept.type === "required" || kept.expected !== undefined))
      return [{ ...kept, message: worded(kept.field as string, kept.expected) }];
    if (kept.type !== "objectStrict" || typeof kept.actual !== "string") return [kept];
    // What is known instead, when the route takes any parameter at all.
    const expected = kept.expected === "" ? {} : { expected: kept.expected };
    return kept.actual.split(", ").map(name => ({
      type: "unknownParameter",
      field: name,
      message: `Unknown parameter '${name}'.`,
      ...expected,
    }));
  });
}

/** The validator's own message says nothing; name the parameters instead, as every route does. */
function clientMessage(message: string, data: unknown): string {
  if (message !== "Parameters validation error!" || !Array.isArray(data)) return message;
  const fields = data
    .map(p => (p as { field?: unknown }).field)
    .filter((f): f is string => typeof f === "string");
  return fields.length === 0 ? message : invalidParametersMessage(fields);
}

/** The HTTP answer for an error; `internal` is true when it should be logged as a server fault. */
export function toHttpError(
  err: unknown,
  opts: { bodyLimitBytes?: number } = {},
): HttpError & { internal: boolean } {
  const e = (typeof err === "object" && err !== null ? err : {}) as ErrorLike;
  const type = typeof e.type === "string" ? e.type : undefined;
  const code =
    typeof e.code === "number" ? e.code : typeof e.status === "number" ? e.status : undefined;
  const message = typeof e.message === "string" ? e.message : "Error";
  const json = { "Content-Type": "application/json; charset=utf-8" };

  const parserError = type !== undefined ? BODY_PARSER_TYPES[type] : undefined;
  if (parserError !== undefined) {
    const body: HttpError["body"] = {
      error: { type: parserError.type, message: parserError.message },
    };
    // A body too large says what the limit is (moleculer-web passes body-parser's error on
    // without it), and what to do about it.
    // A charset refused is named (the gateway's own check and body-parser's both quote it).
    const charset = /charset "([^"]{1,40})"/i.exec(message)?.[1];
    if (type === "charset.unsupported" && charset !== undefined) {
      body.error.message = `Unsupported charset "${charset}": bodies are read as UTF-8 only.`;
    }
    if (type === "entity.too.large" && opts.bodyLimitBytes !== undefined) {
      body.error.message = `The request body is larger than ${opts.bodyLimitBytes} bytes (HTTP_BODY_LIMIT_BYTES); send the events in smaller batches.`;
      body.error.data = { limit: opts.bodyLimitBytes };
    }
    return { status: parserError.status, headers: json, body, internal: false };
  }

  // moleculer-web's own 503 (an action whose service never registered) carries no type.
  if ((type !== undefined && UNAVAILABLE_TYPES.has(type)) || code === 503) {
    return {
      status: 503,
      headers: { ...json, "Retry-After": String(RETRY_AFTER_SECONDS) },
      body: {
        error: {
          type: "SERVICE_UNAVAILABLE",
          message: "A service needed for this request is unavailable; retry later.",
          data: { cause: type ?? "SERVICE_UNAVAILABLE", detail: message },
        },
      },
      internal: false,
    };
  }

  // A service's own upstream (the mail server) refused the work: its type and details, as 502.
  if (code === 502 && type !== undefined) {
    const body: HttpError["body"] = { error: { type, message } };
    if (e.data !== undefined && e.data !== null) body.error.data = e.data;
    return { status: 502, headers: json, body, internal: false };
  }

  if (code !== undefined && code >= 400 && code < 500) {
    const data = e.data === undefined || e.data === null ? undefined : clientData(e.data);
    const body: HttpError["body"] = {
      error: { type: type ?? "CLIENT_ERROR", message: clientMessage(message, data) },
    };
    if (data !== undefined) body.error.data = data;
    return { status: code, headers: json, body, internal: false };
  }

  return {
    status: 500,
    headers: json,
    body: { error: { type: "INTERNAL_ERROR", message: "Internal server error." } },
    internal: true,
  };
}

/**
 * The raw HTTP answer to a request Node's parser refused or timed out on (the server's
 * `clientError`), since no route sees those: 408 when the request did not arrive within
 * HTTP_REQUEST_TIMEOUT_MS, 431 for an oversized request line or headers, 400 otherwise.
 */
export function clientErrorResponse(code: string | undefined): string {
  const [status, type, message] =
    code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? ["408 Request Timeout", "REQUEST_TIMEOUT", "The request did not arrive in time."]
      : code === "HPE_HEADER_OVERFLOW"
        ? [
            "431 Request Header Fields Too Large",
            "HEADERS_TOO_LARGE",
            "The request line or headers are too large.",
          ]
        : ["400 Bad Request", "BAD_REQUEST", "The request could not be parsed."];
  return rawErrorResponse(status, type, message);
}

/** A whole HTTP answer with a JSON error, for a socket no route answers on; it closes the connection. */
export function rawErrorResponse(
  status: string,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): string {
  const body = JSON.stringify({ error: { type, message } });
  // Written to the socket, past every middleware: the security headers of a JSON answer too.
  const extra = Object.entries({ ...securityHeaders(CSP.api), ...headers })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  return (
    `HTTP/1.1 ${status}\r\nContent-Type: application/json; charset=utf-8\r\n${extra}` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}
