// Bad input at the HTTP edge: a table of malformed, hostile and out-of-range requests. Each must
// get the right status and a JSON error with a stable `error.type` (never a 500, a hang, an HTML
// page or a stack trace); strings that look like SQL or HTML are stored and shown literally; and
// afterwards the system is healthy and the data sent before is unchanged.
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import { request, type IncomingHttpHeaders } from "node:http";
import { connect } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cityKey, createNormalizer, type RawAddress } from "../../lib/normalize";
import { replayFile } from "../../lib/replay";
import type { Report } from "../../lib/report";
import { waitFor } from "../../lib/retry";
import { userEventCodec } from "../../lib/user-event";
import { dlqTopic } from "../../lib/dead-letter";
import { deleteTopics, readTopic } from "../helpers/kafka";
import { http, startSystem, type TestSystem } from "../helpers/system";
import { tempDir } from "../helpers/tmp";
import { CSP } from "../../lib/security-headers";

/** The body limit of POST /events in this file (the gateway's other routes take 64 KiB of JSON). */
const BODY_LIMIT = 65_536;
const SEED_USERS = 5;
const ANSWER_TIMEOUT_MS = 30_000;

let sys: TestSystem;
let seed: Report;
let seedIds: string[];
const tmp = tempDir("bad-input-");

/** An event as sent (before cleaning), kept to compute the report it must lead to. */
interface SentEvent {
  id: string;
  address: RawAddress;
  datetime: string;
}
/** Events this file got accepted on purpose; the final report is the seed plus exactly these. */
const added: SentEvent[] = [];
const normalizer = createNormalizer();
const keyOf = (e: SentEvent): string => cityKey(normalizer.address(e.address));

beforeAll(async () => {
  sys = await startSystem({ HTTP_BODY_LIMIT_BYTES: String(BODY_LIMIT) });
  const submitted = await http(sys.baseUrl, `/submit/${SEED_USERS}`);
  expect(submitted.status, submitted.text).toBe(202);
  seed = await waitFor(
    async () => {
      const r = await report();
      return r.total === SEED_USERS ? r : undefined;
    },
    30_000,
    `${SEED_USERS} seed users in the report`,
  );
  const records = await readTopic(sys.config.kafka.topic, SEED_USERS);
  seedIds = records.map(r => userEventCodec.decode(r.value).id);
});

afterAll(async () => {
  await sys?.stop();
  tmp.remove();
  if (sys) await deleteTopics([sys.config.kafka.topic, dlqTopic(sys.config.kafka.topic)]);
});

async function report(query = ""): Promise<Report> {
  const res = await http(sys.baseUrl, `/report${query}`);
  expect(res.status, res.text).toBe(200);
  return res.body as Report;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * Sends one request exactly as written: unlike fetch, node:http neither resolves ".." in the path
 * nor re-encodes it, and adds no Content-Type. Rejects if no answer comes within ANSWER_TIMEOUT_MS.
 */
function send(
  method: string,
  rawPath: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<Answer> {
  const { hostname, port } = new URL(sys.baseUrl);
  const all = { ...headers };
  if (body !== undefined && !("transfer-encoding" in all)) {
    all["content-length"] = String(Buffer.byteLength(body));
  }
  return new Promise((resolve, reject) => {
    const req = request(
      { host: hostname, port, method, path: rawPath, headers: all, agent: false },
      res => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.setTimeout(ANSWER_TIMEOUT_MS, () =>
      req.destroy(new Error(`no answer to ${method} ${rawPath.slice(0, 80)} in time`)),
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** What must never be in an answer: stack frames, file paths, "SomethingError:" prefixes. */
const LEAKS: readonly RegExp[] = [
  /\n\s*at /,
  /\bat [\w.<>$]+ \(/,
  /:\d+:\d+\)/,
  /node:internal/,
  /\/work\//,
  /node_modules/,
  /\b[A-Za-z]*Error: /,
  /<html|<!doctype/i,
  // Where a problem was found (moleculer's validator adds the node and action) is no client's business.
  /"nodeID"|"action"/,
];

/** A stable, machine-readable error type. */
const ANY_ERROR_TYPE: unknown = expect.stringMatching(/^[A-Z][A-Z0-9_]+$/);

interface ErrorBody {
  error: { type: string; message: string; data?: unknown };
}
interface IngestBody {
  accepted: number;
  rejected: { index: number; errors: { field: string }[] }[];
  rejectedCount: number;
}

/** One bad request and the answer it must get. */
interface Case {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The status, or the statuses that are all acceptable. */
  status: number | number[];
  /** error.type for 4xx (or one of these); any UPPER_SNAKE type when omitted. */
  type?: string | string[];
  /** 405: the Allow header. */
  allow?: string;
  /** 422: fields that error.data[].field must name. */
  fields?: string[];
  /** 202 from POST /events: how many events were accepted and rejected. */
  accepted?: number;
  rejected?: number;
  /** 202 from POST /events: how many were rejected, listed or not (else as many as listed). */
  rejectedCount?: number;
  /** 202 from POST /events: fields named by the first rejection. */
  rejectedFields?: string[];
  /** Events the case gets stored (so the final report can account for them). */
  adds?: SentEvent[];
}

const JSON_TYPE = { "content-type": "application/json" };
const NDJSON_TYPE = { "content-type": "application/x-ndjson" };

/** A valid event, used as the base of the wrong-type cases (which must all be rejected). */
const VALID = {
  id: "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
  address: { city: "Reno", state: "NV" },
  datetime: "2019-05-07T00:00:00Z",
};

// ---------------------------------------------------------------------------------------------
// The corpus, group by group.

const submitValues: [what: string, n: string][] = [
  ["-1", "-1"],
  ["0", "0"],
  ["abc", "abc"],
  ["1e9", "1e9"],
  ["13 digits", "9999999999999"],
  ["one above SUBMIT_MAX", "1000001"],
  ["1.5", "1.5"],
  ["a leading space", "%201"],
  ["hexadecimal", "0x10"],
  ["a NUL byte", "%00"],
  ["a 500-digit number", "9".repeat(500)],
  ["Arabic-Indic digits", encodeURIComponent("١٢٣")],
  ["fullwidth digits", encodeURIComponent("１２")],
  ["a plus sign", "%2B5"],
  ["SQL", encodeURIComponent("1; DROP TABLE user_events")],
];
const submitCases: Case[] = submitValues.map(([what, n]) => ({
  name: `GET /submit/:n with ${what}`,
  method: "GET",
  path: `/submit/${n}`,
  status: 422,
  type: "VALIDATION_ERROR",
  fields: ["n"],
}));
submitCases.push(
  { name: "GET /submit/ (no n)", method: "GET", path: "/submit/", status: 404, type: "NOT_FOUND" },
  { name: "GET /submit/1/2", method: "GET", path: "/submit/1/2", status: 404, type: "NOT_FOUND" },
  {
    name: "GET /submit/% (broken percent-encoding)",
    method: "GET",
    path: "/submit/%",
    status: 400,
    type: "UNABLE_DECODE_PARAM",
  },
);

const notFound = (name: string, rawPath: string, extra: Partial<Case> = {}): Case => ({
  name,
  method: "GET",
  path: rawPath,
  status: 404,
  type: "NOT_FOUND",
  ...extra,
});
const unknownRouteCases: Case[] = [
  notFound("an unknown route", "/nope"),
  notFound("an unknown route under /api", "/api/v1/report"),
  notFound("path traversal with ../", "/../../etc/passwd"),
  notFound("path traversal to package.json", "/../package.json"),
  notFound("path traversal with %2e%2e", "/%2e%2e/package.json"),
  notFound("path traversal with %2e%2e%2f", "/%2e%2e%2f%2e%2e%2fetc%2fpasswd"),
  notFound("path traversal from a route", "/report/../../package.json"),
  notFound("path traversal from the docs files", "/docs/vendor/../../../package.json"),
  notFound("encoded traversal from the docs files", "/docs/vendor/..%2f..%2f..%2fpackage.json"),
  notFound("a file of the docs package the page does not load", "/docs/vendor/package.json"),
  notFound("the docs package's folder", "/docs/vendor/"),
  notFound("a double slash to /etc/passwd", "//etc/passwd"),
  notFound("a dotfile", "/.env"),
  notFound("the git folder", "/.git/config"),
  notFound("a dependency's file", "/node_modules/moleculer/package.json"),
  notFound("a source file", "/lib/config.ts"),
  notFound("a route prefix with more letters", "/eventsx"),
  notFound("POST to an unknown route with a broken JSON body", "/nope", {
    method: "POST",
    headers: JSON_TYPE,
    body: "{not json",
  }),
  {
    name: "encoded traversal as a report id",
    method: "GET",
    path: "/reports/..%2f..%2fpackage.json",
    status: 422,
    type: "VALIDATION_ERROR",
    fields: ["id"],
  },
  {
    name: "a 20,000-character URL",
    method: "GET",
    path: `/report?pad=${"a".repeat(20_000)}`,
    status: [414, 431],
  },
];

const methodValues: [method: string, path: string, allow: string][] = [
  ["DELETE", "/report", "GET, HEAD, OPTIONS"],
  ["PUT", "/report", "GET, HEAD, OPTIONS"],
  ["POST", "/submit/5", "GET, OPTIONS"],
  ["PUT", "/submit/abc", "GET, OPTIONS"],
  ["GET", "/events", "POST, OPTIONS"],
  ["PUT", "/events", "POST, OPTIONS"],
  ["DELETE", "/events", "POST, OPTIONS"],
  ["PATCH", "/events", "POST, OPTIONS"],
  ["GET", "/report/send", "POST, OPTIONS"],
  ["PATCH", "/jobs/some-id", "GET, HEAD, OPTIONS"],
  ["PUT", "/reports", "GET, HEAD, OPTIONS"],
  ["DELETE", "/reports/1", "GET, HEAD, OPTIONS"],
  ["POST", "/healthcheck", "GET, HEAD, OPTIONS"],
  ["POST", "/openapi.json", "GET, HEAD, OPTIONS"],
  ["DELETE", "/dashboard/state", "GET, HEAD, OPTIONS"],
  ["TRACE", "/report", "GET, HEAD, OPTIONS"],
  ["TRACE", "/events", "POST, OPTIONS"],
  ["PROPFIND", "/reports/1", "GET, HEAD, OPTIONS"],
  ["MKCOL", "/submit/5", "GET, OPTIONS"],
];
const methodCases: Case[] = [
  ...methodValues.map(([method, p, allow]) => ({
    name: `${method} ${p}`,
    method,
    path: p,
    status: 405,
    type: "METHOD_NOT_ALLOWED",
    allow,
  })),
  // The method is what is wrong: a body does not turn the 405 into a complaint about the body.
  ...[
    ["/submit/5", "GET, OPTIONS", JSON_TYPE, '{"n":5}'],
    ["/healthcheck", "GET, HEAD, OPTIONS", { "content-type": "text/plain" }, "ping"],
  ].map(([p, allow, headers, body]): Case => ({
    name: `POST ${p as string} with a body`,
    method: "POST",
    path: p as string,
    headers: headers as Record<string, string>,
    body: body as string,
    status: 405,
    type: "METHOD_NOT_ALLOWED",
    allow: allow as string,
  })),
];

const deep = (levels: number): string => "[".repeat(levels) + "]".repeat(levels);
const PROTO_EVENT: SentEvent = {
  id: randomUUID(),
  address: { city: "Protoville", state: "VT" },
  datetime: "2019-05-07T00:00:00Z",
};
const MANY_EVENT: SentEvent = {
  id: randomUUID(),
  address: { city: "Manyville", state: "VT" },
  datetime: "2019-05-07T00:00:00Z",
};
const post = (
  name: string,
  body: string | Buffer,
  expected: Partial<Case>,
  headers: Record<string, string> = JSON_TYPE,
): Case => ({
  name: `POST /events: ${name}`,
  method: "POST",
  path: "/events",
  headers,
  body,
  status: 202,
  ...expected,
});
const wrongType = (what: string, patch: object, field: string): Case =>
  post(what, JSON.stringify([{ ...VALID, ...patch }]), {
    accepted: 0,
    rejected: 1,
    rejectedFields: [field],
  });
const eventCases: Case[] = [
  post("malformed JSON", "{not json", { status: 400, type: "MALFORMED_JSON" }),
  post("truncated JSON", JSON.stringify([VALID]).slice(0, -3), {
    status: 400,
    type: "MALFORMED_JSON",
  }),
  post("a JSON number", "42", { status: 422, type: "INVALID_BODY" }),
  post("a JSON string", '"events"', { status: 422, type: "INVALID_BODY" }),
  post("JSON null", "null", { status: 422, type: "INVALID_BODY" }),
  post("an empty body", "", { status: 400, type: "MALFORMED_JSON" }),
  post("an object instead of an array", JSON.stringify(VALID), {
    status: 422,
    type: "INVALID_BODY",
  }),
  post(
    "text/plain",
    JSON.stringify([VALID]),
    { status: 415, type: "UNSUPPORTED_MEDIA_TYPE" },
    {
      "content-type": "text/plain",
    },
  ),
  post(
    "no content type",
    JSON.stringify([VALID]),
    { status: 415, type: "UNSUPPORTED_MEDIA_TYPE" },
    {},
  ),
  post(
    "XML",
    "<events><event/></events>",
    { status: 415, type: "UNSUPPORTED_MEDIA_TYPE" },
    {
      "content-type": "application/xml",
    },
  ),
  post(
    "a form",
    "id=1&city=Reno",
    { status: 415, type: "UNSUPPORTED_MEDIA_TYPE" },
    {
      "content-type": "application/x-www-form-urlencoded",
    },
  ),
  post(
    "multipart",
    "--x\r\n\r\n[]\r\n--x--",
    { status: 415, type: "UNSUPPORTED_MEDIA_TYPE" },
    {
      "content-type": "multipart/form-data; boundary=x",
    },
  ),
  post(
    "bytes that are not UTF-8 in a city (before, stored as U+FFFD)",
    Buffer.concat([
      Buffer.from(`[{"id":"${VALID.id}","address":{"city":"A`),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(`b","state":"NV"},"datetime":"${VALID.datetime}"}]`),
    ]),
    { status: 400, type: "INVALID_UTF8" },
  ),
  post(
    "a charset that is not UTF",
    JSON.stringify([VALID]),
    { status: 415, type: "UNSUPPORTED_CHARSET" },
    {
      "content-type": "application/json; charset=latin1",
    },
  ),
  post(
    "an unknown content encoding",
    JSON.stringify([VALID]),
    { status: 415, type: "UNSUPPORTED_ENCODING" },
    {
      ...JSON_TYPE,
      "content-encoding": "x-unknown",
    },
  ),
  post(
    "gzip that is not gzip",
    JSON.stringify([VALID]),
    { status: 415, type: "UNSUPPORTED_ENCODING" },
    {
      ...JSON_TYPE,
      "content-encoding": "gzip",
    },
  ),
  post("a JSON body over the limit", JSON.stringify(Array.from({ length: 1000 }, () => VALID)), {
    status: 413,
    type: "PAYLOAD_TOO_LARGE",
  }),
  post(
    "an NDJSON body over the limit, chunked",
    `${JSON.stringify(VALID)}\n`.repeat(1000),
    { status: 413, type: "PAYLOAD_TOO_LARGE" },
    { ...NDJSON_TYPE, "transfer-encoding": "chunked" },
  ),
  post("100,000 levels of [ (over the limit)", "[".repeat(100_000), {
    status: 413,
    type: "PAYLOAD_TOO_LARGE",
  }),
  post("65,000 levels of [ never closed", "[".repeat(65_000), {
    status: 400,
    type: "MALFORMED_JSON",
  }),
  // Valid JSON nested too deep to copy or re-serialise: one event, rejected (or the body refused).
  post("an event that is 5,000 nested arrays", `[${deep(5000)}]`, {
    status: [202, 400, 413, 422],
    accepted: 0,
    rejected: 1,
  }),
  post(
    "a city that is 5,000 nested objects",
    JSON.stringify([{ ...VALID, address: { city: "@" } }]).replace(
      '"@"',
      '{"a":'.repeat(5000) + "1" + "}".repeat(5000),
    ),
    { status: [202, 400, 413, 422], accepted: 0, rejected: 1, rejectedFields: ["address.city"] },
  ),
  post(
    "an NDJSON line that is 5,000 nested arrays",
    `${deep(5000)}\n`,
    { accepted: 0, rejected: 1 },
    NDJSON_TYPE,
  ),
  post("32,000 tiny invalid items", `[${Array.from({ length: 32_000 }, () => "0").join(",")}]`, {
    accepted: 0,
    rejected: 1000,
    rejectedCount: 32_000,
  }),
  post("an array of nulls, arrays and strings", '[null, [], "x", 1, true, {}]', {
    accepted: 0,
    rejected: 6,
  }),
  wrongType("id as a number", { id: 12345 }, "id"),
  wrongType("id that is SQL", { id: "' OR 1=1 --" }, "id"),
  wrongType("address as a string", { address: "1 Main St, Reno, NV" }, "address"),
  wrongType("city as an array", { address: { city: ["Reno"], state: "NV" } }, "address.city"),
  wrongType("city of 201 characters", { address: { city: "x".repeat(201) } }, "address.city"),
  wrongType("city of spaces", { address: { city: "   " } }, "address.city"),
  wrongType(
    "state as an object",
    { address: { city: "Reno", state: { code: "NV" } } },
    "address.state",
  ),
  wrongType("datetime as a number", { datetime: 1557187200 }, "datetime"),
  wrongType("datetime on February 30", { datetime: "2019-02-30T00:00:00Z" }, "datetime"),
  wrongType(
    "postCode as an object",
    { address: { city: "Reno", postCode: { zip: 89501 } } },
    "address.postCode",
  ),
  // A postCode of the right type but no ZIP code (-89501, 2110.5, long text) is accepted as unknown.
  wrongType("postCode as true", { address: { city: "Reno", postCode: true } }, "address.postCode"),
  post(
    "NDJSON whose lines are all garbage",
    "hello\nworld\n{\n",
    { status: 400, type: "MALFORMED_BODY" },
    NDJSON_TYPE,
  ),
  post(
    "NDJSON of JSON values that are not events",
    '1\n[]\n"x"\nnull\n',
    { accepted: 0, rejected: 4 },
    NDJSON_TYPE,
  ),
  post(
    "__proto__ and constructor keys",
    JSON.stringify([PROTO_EVENT])
      .replace(
        "[{",
        '[{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},',
      )
      .replace('"state":"VT"', '"state":"VT","__proto__":{"isAdmin":true}'),
    { accepted: 1, rejected: 0, adds: [PROTO_EVENT] },
  ),
  // Millions of invalid values fit in the default body limit: the answer lists 1,000 and counts the
  // rest. (More than 100,000 values are refused as a whole: unit-tested, they do not fit in the
  // 64 KiB body limit of this system.)
  post(
    "1,500 invalid values and a valid event",
    JSON.stringify([...Array.from({ length: 1500 }, (_, i) => i), MANY_EVENT]),
    { accepted: 1, rejected: 1000, rejectedCount: 1500, adds: [MANY_EVENT] },
  ),
  // NDJSON under its other names is NDJSON (these are 202: each case's one event is invalid).
  ...["application/ndjson", "application/jsonl", "application/x-jsonlines"].map(type =>
    post(
      `NDJSON as ${type}`,
      '{"id":"x"}\n',
      { status: 202, accepted: 0, rejected: 1 },
      { "content-type": type },
    ),
  ),
  {
    name: "POST /events with a query parameter (it takes none)",
    method: "POST",
    path: "/events?topic=other",
    headers: JSON_TYPE,
    body: JSON.stringify([VALID]),
    status: 422,
    type: "VALIDATION_ERROR",
    fields: ["topic"],
  },
];

const badReport = (query: string, fields: string[]): Case => ({
  name: `GET /report?${query}`,
  method: "GET",
  path: `/report?${query}`,
  status: 422,
  type: "VALIDATION_ERROR",
  fields,
});
const reportCases: Case[] = [
  badReport("by=zip", ["by"]),
  badReport("by=CITY", ["by"]),
  badReport("top=0", ["top"]),
  badReport("top=-5", ["top"]),
  badReport("top=abc", ["top"]),
  badReport("top=1.5", ["top"]),
  badReport("top=100001", ["top"]),
  badReport(`top=${"9".repeat(400)}`, ["top"]),
  badReport("from=yesterday", ["from"]),
  badReport("to=2026-13-40", ["to"]),
  badReport("from=2026-02-30", ["from"]),
  badReport("from=2026-03-01&to=2026-02-01", ["from"]),
  badReport("format=xml", ["format"]),
  badReport("by=city&by=state", ["by"]),
  badReport("top[]=1", ["top"]),
  badReport("by[a]=city", ["by"]),
  badReport("colour=red", ["colour"]),
  badReport("constructor=x", ["constructor"]),
  badReport("by=zip&top=0&format=xml&colour=red", ["by", "top", "format", "colour"]),
  badReport(`by=${encodeURIComponent("city' OR 1=1 --")}`, ["by"]),
];

const lookupCases: Case[] = [
  {
    name: "GET /jobs/ with an unknown id",
    method: "GET",
    path: "/jobs/no-such-job",
    status: 404,
    type: "JOB_NOT_FOUND",
  },
  {
    name: "GET /jobs/ with an SQL id",
    method: "GET",
    path: `/jobs/${encodeURIComponent("' OR 1=1 --")}`,
    status: 404,
    type: "JOB_NOT_FOUND",
  },
  {
    name: "GET /jobs/ with a unicode id",
    method: "GET",
    path: `/jobs/${encodeURIComponent("東京")}`,
    status: 404,
    type: "JOB_NOT_FOUND",
  },
  {
    name: "GET /jobs/ with a NUL id",
    method: "GET",
    path: "/jobs/%00",
    status: [404, 422],
    type: ["JOB_NOT_FOUND", "VALIDATION_ERROR"],
  },
  {
    name: "GET /jobs/ with a 500-character id",
    method: "GET",
    path: `/jobs/${"a".repeat(500)}`,
    status: [404, 422],
    type: ["JOB_NOT_FOUND", "VALIDATION_ERROR"],
  },
  {
    name: "GET /reports/abc",
    method: "GET",
    path: "/reports/abc",
    status: 422,
    type: "VALIDATION_ERROR",
    fields: ["id"],
  },
  {
    name: "GET /reports/0",
    method: "GET",
    path: "/reports/0",
    status: 422,
    type: "VALIDATION_ERROR",
    fields: ["id"],
  },
  {
    name: "GET /reports/-1",
    method: "GET",
    path: "/reports/-1",
    status: 422,
    type: "VALIDATION_ERROR",
    fields: ["id"],
  },
  {
    name: "GET /reports/1.5",
    method: "GET",
    path: "/reports/1.5",
    status: 422,
    type: "VALIDATION_ERROR",
    fields: ["id"],
  },
  {
    name: "GET /reports?limit=0",
    method: "GET",
    path: "/reports?limit=0",
    status: 422,
    type: "VALIDATION_ERROR",
    fields: ["limit"],
  },
  {
    name: "GET /reports with an unknown parameter",
    method: "GET",
    path: "/reports?limit=5&colour=red",
    status: 422,
    type: "VALIDATION_ERROR",
    fields: ["colour"],
  },
  {
    name: "GET /reports/1 in an unknown format",
    method: "GET",
    path: "/reports/1?format=pdf",
    status: 422,
    type: "VALIDATION_ERROR",
    fields: ["format"],
  },
  {
    name: "GET /submit/5 with unknown parameters",
    method: "GET",
    path: "/submit/5?x=1&y=2",
    status: 422,
    type: "VALIDATION_ERROR",
    fields: ["x", "y"],
  },
  {
    name: "GET /jobs/:id with an unknown parameter",
    method: "GET",
    path: "/jobs/abc?verbose=1",
    status: 422,
    type: "VALIDATION_ERROR",
    fields: ["verbose"],
  },
  {
    name: "GET /reports/99999999",
    method: "GET",
    path: "/reports/99999999",
    status: 404,
    type: "REPORT_NOT_FOUND",
  },
  {
    name: "GET /reports/ with a 21-digit id",
    method: "GET",
    path: `/reports/${"9".repeat(21)}`,
    status: 422,
    type: "VALIDATION_ERROR",
    fields: ["id"],
  },
  // Only plain digits are a number: not whatever Number() makes of the text.
  ...["1e2", "0x10", "%205", "5%20", "1.0", "+5"].map((id): Case => ({
    name: `GET /reports/${id} (not plain digits)`,
    method: "GET",
    path: `/reports/${id}`,
    status: 422,
    type: "VALIDATION_ERROR",
    fields: ["id"],
  })),
  ...["limit=1e1", "limit=0x10", "before=1e3", "limit=%205"].map((query): Case => ({
    name: `GET /reports?${query} (not plain digits)`,
    method: "GET",
    path: `/reports?${query}`,
    status: 422,
    type: "VALIDATION_ERROR",
    fields: [query.split("=")[0]!],
  })),
  // Every bad parameter of a request is named in its one answer.
  {
    name: "GET /reports/abc in an unknown format",
    method: "GET",
    path: "/reports/abc?format=pdf",
    status: 422,
    type: "VALIDATION_ERROR",
    fields: ["id", "format"],
  },
  {
    name: "GET /reports with a bad limit and an unknown parameter",
    method: "GET",
    path: "/reports?limit=abc&colour=red",
    status: 422,
    type: "VALIDATION_ERROR",
    fields: ["limit", "colour"],
  },
  {
    name: "POST /report/send with a parameter it does not take",
    method: "POST",
    path: "/report/send?to=someone@example.com",
    status: 422,
    type: "VALIDATION_ERROR",
    fields: ["to"],
  },
  ...[
    ["a JSON body", { "Content-Type": "application/json" }, '{"to":"someone@example.com"}'],
    ["a body that is not JSON", { "Content-Type": "application/json" }, "{"],
    ["a text body", { "Content-Type": "text/plain" }, "now please"],
    ["a chunked body", { "transfer-encoding": "chunked" }, "now please"],
  ].map(([what, headers, body]): Case => ({
    name: `POST /report/send with ${what as string} (it takes none)`,
    method: "POST",
    path: "/report/send",
    headers: headers as Record<string, string>,
    body: body as string,
    status: 422,
    type: "VALIDATION_ERROR",
    fields: ["body"],
  })),
  {
    name: "GET /reports/1?format=pdf",
    method: "GET",
    path: "/reports/1?format=pdf",
    status: 422,
    type: "VALIDATION_ERROR",
    fields: ["format"],
  },
  {
    name: "GET /reports?limit=201",
    method: "GET",
    path: "/reports?limit=201",
    status: 422,
    type: "VALIDATION_ERROR",
    fields: ["limit"],
  },
  {
    name: "GET /reports?before=0",
    method: "GET",
    path: "/reports?before=0",
    status: 422,
    type: "VALIDATION_ERROR",
    fields: ["before"],
  },
  {
    name: "GET /reports?limit=0 (a page of nothing)",
    method: "GET",
    path: "/reports?limit=0",
    status: 422,
    type: "VALIDATION_ERROR",
    fields: ["limit"],
  },
  {
    name: "GET /reports?limit=abc (not a number)",
    method: "GET",
    path: "/reports?limit=abc",
    status: 422,
    type: "VALIDATION_ERROR",
    fields: ["limit"],
  },
];

const CORPUS: readonly Case[] = [
  ...submitCases,
  ...unknownRouteCases,
  ...methodCases,
  ...eventCases,
  ...reportCases,
  ...lookupCases,
];

// ---------------------------------------------------------------------------------------------

describe(`${CORPUS.length} bad requests`, () => {
  it("are at least 50, each with its own name", () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(50);
    expect(new Set(CORPUS.map(c => c.name)).size).toBe(CORPUS.length);
  });

  it.each(CORPUS)("$name → $status", async c => {
    const res = await send(c.method, c.path, c.headers, c.body);
    const contentType = String(res.headers["content-type"] ?? "");
    let body: unknown;
    try {
      body = JSON.parse(res.text);
    } catch {
      body = undefined;
    }
    const error = (body as Partial<ErrorBody> | undefined)?.error;
    const statuses = Array.isArray(c.status) ? c.status : [c.status];
    const types = c.type === undefined ? undefined : Array.isArray(c.type) ? c.type : [c.type];

    // Status, content type, JSON and error type in one comparison, so a failure shows all of them.
    const actual = {
      status: res.status,
      json: contentType.startsWith("application/json") && body !== undefined,
      type: error?.type,
      ...(c.allow === undefined ? {} : { allow: res.headers.allow }),
    };
    const expected = {
      status: statuses.includes(res.status) ? res.status : c.status,
      json: true,
      type:
        res.status === 202
          ? undefined
          : types === undefined
            ? ANY_ERROR_TYPE
            : types.includes(String(error?.type))
              ? error?.type
              : c.type,
      ...(c.allow === undefined ? {} : { allow: c.allow }),
    };
    expect(actual, res.text.slice(0, 500)).toEqual(expected);
    for (const leak of LEAKS) expect(res.text.slice(0, 1_000_000)).not.toMatch(leak);
    // Every answer, however early it was refused, carries the security headers of a JSON answer.
    expect({
      nosniff: res.headers["x-content-type-options"],
      csp: res.headers["content-security-policy"],
    }).toEqual({ nosniff: "nosniff", csp: CSP.api });

    if (res.status >= 400) expect(typeof error?.message).toBe("string");
    // A body too large says the limit.
    if (res.status === 413) expect(error?.message).toMatch(/larger than \d+ bytes/);
    if (c.fields !== undefined) {
      const named = ((error?.data ?? []) as { field?: string }[]).map(d => d.field);
      expect(named).toEqual(expect.arrayContaining(c.fields));
      // Every route words it alike: the parameters by name, unknown ones as unknownParameter.
      expect(error?.message).toMatch(/^Invalid parameters?: /);
      for (const field of c.fields) expect(error?.message).toContain(field);
      for (const problem of (error?.data ?? []) as { type?: string; message?: string }[]) {
        if (/^Unknown parameter/.test(problem.message ?? ""))
          expect(problem.type).toBe("unknownParameter");
        // Worded from what the check knows ("must be one of city, state, country").
        expect(problem.message).not.toMatch(/\bundefined\b/);
      }
    }
    if (res.status === 202) {
      const answer = body as IngestBody;
      if (c.accepted !== undefined) expect(answer.accepted).toBe(c.accepted);
      if (c.rejected !== undefined) expect(answer.rejected).toHaveLength(c.rejected);
      expect(answer.rejectedCount).toBe(c.rejectedCount ?? answer.rejected.length);
      if (c.rejectedFields !== undefined) {
        expect(answer.rejected[0]?.errors.map(e => e.field)).toEqual(
          expect.arrayContaining(c.rejectedFields),
        );
      }
      if (c.adds !== undefined && answer.accepted === c.adds.length) added.push(...c.adds);
    }
  });
});

/** What a request that ran an action would change: the jobs and the events produced. */
async function sideEffects(): Promise<{ produced: number; jobs: string[] }> {
  const side = await sys.brokers.api.call<{ produced: number; jobs: { id: string }[] }>(
    "userevents.dashboard",
  );
  return { produced: side.produced, jobs: side.jobs.map(j => j.id) };
}

describe("OPTIONS and HEAD", () => {
  // moleculer-web routes an OPTIONS without Access-Control-Request-Method as a GET: it must not
  // run the action.
  it.each([
    { name: "OPTIONS /report", path: "/report", allow: "GET" },
    { name: "OPTIONS /submit/abc", path: "/submit/abc", allow: "GET" },
    { name: "OPTIONS /events", path: "/events", allow: "POST" },
  ])("$name answers with Allow, and runs nothing", async ({ path: p, allow }) => {
    const before = await sideEffects();
    const res = await send("OPTIONS", p);
    expect({ status: res.status, allow: res.headers.allow }, res.text.slice(0, 300)).toEqual({
      status: [204, 405].includes(res.status) ? res.status : "204 or 405",
      allow: expect.stringContaining(allow) as unknown,
    });
    expect(await sideEffects()).toEqual(before);
  });

  it("HEAD /healthcheck answers like GET (or 405 with Allow), without a body", async () => {
    const res = await send("HEAD", "/healthcheck");
    expect({ status: res.status, allow: res.headers.allow }).toEqual(
      res.status === 405 ? { status: 405, allow: "GET" } : { status: 200, allow: undefined },
    );
    expect(String(res.headers["content-type"])).toMatch(/^application\/json/);
    expect(res.text).toBe("");
  });
});

/**
 * Writes a request by hand on a connection of its own (for what node:http and fetch never send)
 * and resolves with the whole raw answer once the gateway closes the connection.
 */
function rawExchange(request: string): Promise<string> {
  const { hostname, port } = new URL(sys.baseUrl);
  return new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("utf8")));
    socket.on("error", reject);
    socket.setTimeout(ANSWER_TIMEOUT_MS, () => socket.destroy(new Error("no answer in time")));
    // write, not end: a client that half-closes gets no answer from node:http.
    socket.write(request);
  });
}

/** The JSON of a raw answer's body, whether it came chunked or not. */
const rawJson = <T>(answer: string): T =>
  JSON.parse(answer.slice(answer.indexOf("{"), answer.lastIndexOf("}") + 1)) as T;

describe("a POST without any body", () => {
  // What `curl -X POST -H 'Content-Type: application/json'` sends: neither Content-Length nor
  // Transfer-Encoding, which node:http and fetch never do, so it is written by hand.
  it.each([
    ["application/json", 400, "MALFORMED_JSON"],
    ["application/x-ndjson", 202, undefined],
  ])("with Content-Type %s answers %s", async (type, status, errorType) => {
    const raw = await rawExchange(
      `POST /events HTTP/1.1\r\nHost: test\r\nContent-Type: ${type}\r\nConnection: close\r\n\r\n`,
    );
    expect(raw.split("\r\n")[0]).toBe(
      `HTTP/1.1 ${status} ${status === 400 ? "Bad Request" : "Accepted"}`,
    );
    const body = rawJson<Record<string, unknown>>(raw);
    if (errorType === undefined)
      expect(body).toEqual({ accepted: 0, rejected: [], rejectedCount: 0 });
    else expect(body).toMatchObject({ error: { type: errorType } });
  });
});

describe("requests no route answers", () => {
  it.each([
    [
      "an HTTP/1.1 request without Host",
      "GET /report HTTP/1.1\r\nConnection: close\r\n\r\n",
      "400 Bad Request",
      "BAD_REQUEST",
      /no Host header/,
    ],
    [
      "CONNECT",
      "CONNECT 127.0.0.1:8000 HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n",
      "405 Method Not Allowed",
      "METHOD_NOT_ALLOWED",
      /CONNECT is not supported/,
    ],
  ])("answers %s with a JSON error", async (_what, request, status, type, message) => {
    const answer = await rawExchange(request);
    expect(answer.split("\r\n")[0]).toBe(`HTTP/1.1 ${status}`);
    const body = rawJson<{ error: { type: string; message: string } }>(answer);
    expect(body.error.type).toBe(type);
    expect(body.error.message).toMatch(message);
  });
  it("survives a client that resets the connection right after its CONNECT", async () => {
    const { hostname, port } = new URL(sys.baseUrl);
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve, reject) => {
        const socket = connect(Number(port), hostname);
        socket.on("error", reject);
        socket.write("CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n\r\n", () => {
          socket.resetAndDestroy();
          resolve();
        });
      });
    }
    // An unhandled socket error would have ended this process (the gateway runs in it).
    expect((await http(sys.baseUrl, "/healthcheck")).status).toBe(200);
  });
  it("still answers an HTTP/1.0 request, which needs no Host", async () => {
    const answer = await rawExchange("GET /healthcheck HTTP/1.0\r\n\r\n");
    expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 200 OK");
  });
});

describe("after the bad requests", () => {
  it("has not polluted Object.prototype (the services run in this process)", () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain("polluted");
  });
});

describe("strings that look like SQL or HTML, and unicode", () => {
  const cities: { address: RawAddress; part: string }[] = [
    {
      address: { city: "Robert'); DROP TABLE user_events;--", state: "NY" },
      part: "drop table user_events;--",
    },
    { address: { city: '" OR 1=1 --', state: "CA" }, part: '" or 1=1 --' },
    { address: { city: "Zürich", country: "CH" }, part: "zürich" },
    { address: { city: "東京", country: "JP" }, part: "東京" },
    { address: { city: "Emoji 🎉 City", state: "TX" }, part: "🎉" },
    {
      address: { city: "<script>alert(1)</script>", state: "WA" },
      part: "<script>alert(1)</script>",
    },
    // Control and invisible characters are no part of a place: reported without them.
    { address: { city: "Nul\u0000City", state: "WA" }, part: "nulcity" },
    { address: { city: "\u202eRevo\u200bville", state: "OR" }, part: "revoville" },
  ];
  const events: SentEvent[] = cities.map(c => ({
    id: randomUUID(),
    address: c.address,
    datetime: "2026-01-15T12:00:00Z",
  }));

  it("are stored and reported literally (but for invisible characters), and the table still counts", async () => {
    // Whatever the corpus got accepted is counted first, so the difference below is ours alone.
    const before = await waitFor(
      async () => {
        const r = await report();
        return r.total === SEED_USERS + added.length ? r : undefined;
      },
      30_000,
      "the events accepted so far",
    );
    const res = await http(sys.baseUrl, "/events", {
      method: "POST",
      headers: JSON_TYPE,
      body: JSON.stringify(events),
    });
    expect(res.status, res.text).toBe(202);
    expect(res.body).toEqual({ accepted: events.length, rejected: [], rejectedCount: 0 });
    added.push(...events);

    const after = await waitFor(
      async () => {
        const r = await report();
        return r.total === before.total + events.length ? r : undefined;
      },
      30_000,
      `${events.length} more users`,
    );
    const keys = events.map(keyOf);
    for (const [i, key] of keys.entries()) {
      expect(after.stats[key], key).toBe(1);
      expect(key.toLowerCase()).toContain(cities[i]?.part);
    }
    const rest = { ...after.stats };
    for (const key of keys) delete rest[key];
    expect(rest).toEqual(before.stats);
    // The same rows answer in the other dimensions too.
    expect((await report("?by=country")).total).toBe(after.total);
  });

  it("takes POST /report/send with an empty chunked body as one without a body", async () => {
    const sent = await send("POST", "/report/send", { "transfer-encoding": "chunked" }, "");
    expect(sent.status, sent.text).toBe(200);
    expect(JSON.parse(sent.text)).toMatchObject({ status: "logged" }); // no SMTP here
  });

  it("escapes them in the HTML of the report email", async () => {
    const sent = await http(sys.baseUrl, "/report/send", { method: "POST" });
    expect(sent.status, sent.text).toBe(200);
    const { id } = sent.body as { id: number };
    const page = await http(sys.baseUrl, `/reports/${id}?format=html`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.text).not.toMatch(/<script/i);
    expect(page.text.toLowerCase()).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(page.text.toLowerCase()).toContain("drop table user_events;--");
    expect(page.text).toContain("東京");
    const stored = await http(sys.baseUrl, `/reports/${id}`);
    expect(Object.keys((stored.body as { report: Report }).report.stats)).toEqual(
      expect.arrayContaining(events.map(keyOf)),
    );
  });
});

describe("a CSV with broken quoting, replayed", () => {
  it("reports each broken row by line and keeps the good rows", async () => {
    const good: SentEvent = {
      id: randomUUID(),
      address: { city: "Replayville", state: "VT" },
      datetime: "2019-05-07 10:00:00",
    };
    const file = path.join(tmp.dir, "broken.csv");
    // A quote inside an unquoted cell is read as written (a valid Python dict here): accepted.
    const unquoted: SentEvent = {
      id: "2c5ea4c0-4067-41e9-8bad-9b1deb4d3b7d",
      address: { city: "Quoteville" },
      datetime: "2019-05-07 10:00:00",
    };
    const lines = [
      "id,address,inserted_at",
      `${unquoted.id},{'city': "Quoteville"},${unquoted.datetime}`,
      `0f8fad5b-d9cb-469f-a165-70867728950e,"{'city': 'Holland', 'state': 'MI'}"x,2019-05-07 10:00:00`,
      `${good.id},"{'city': 'Replayville', 'state': 'VT'}",${good.datetime}`,
      `1b4e28ba-2fa1-4d2b-883f-0016d3cca427,"{'city': 'Holland', 'state': 'MI'},2019-05-07 10:00:00`,
    ];
    fs.writeFileSync(file, lines.join("\n") + "\n");
    const summary = await replayFile({ file, url: sys.baseUrl, batchSize: 10 });
    if (!summary.rejections.some(r => r.line === 2)) added.push(unquoted);
    if (!summary.rejections.some(r => r.line === 4)) added.push(good);
    // Line 3: a stray quote after the cell; line 5: a quote never closed.
    expect(summary.rejections.map(r => r.line)).toEqual([3, 5]);
    expect(summary.rejections[0]?.errors.join(" ")).toMatch(/Python dict/);
    expect(summary.rejections[1]?.errors.join(" ")).toMatch(/CSV row|Python dict/);
    expect(summary.accepted).toBe(2);
  });
});

describe("afterwards", () => {
  it("is healthy, and holds the earlier data plus exactly what was accepted", async () => {
    const health = await http(sys.baseUrl, "/healthcheck");
    expect(health.status, health.text).toBe(200);
    expect(health.body).toMatchObject({ status: "ok" });

    const expected: Record<string, number> = { ...seed.stats };
    for (const e of added) expected[keyOf(e)] = (expected[keyOf(e)] ?? 0) + 1;
    const total = SEED_USERS + added.length;
    const final = await waitFor(
      async () => {
        const r = await report();
        return r.total === total ? r : undefined;
      },
      30_000,
      `${total} users`,
    );
    expect(final.stats).toEqual(expected);

    const records = await readTopic(sys.config.kafka.topic, total);
    const ids = new Set(records.map(r => userEventCodec.decode(r.value).id));
    expect([...ids]).toEqual(expect.arrayContaining([...seedIds, ...added.map(e => e.id)]));
    expect(ids.size).toBe(total);
  });

  // Last, as it may start a job: an OPTIONS request must not run GET /submit/:n.
  it("starts no job on OPTIONS /submit/1", async () => {
    const before = await sideEffects();
    const res = await send("OPTIONS", "/submit/1");
    expect(res.status, res.text.slice(0, 300)).not.toBe(202);
    expect([204, 405]).toContain(res.status);
    expect(await sideEffects()).toEqual(before);
  });
});
