import { Errors } from "moleculer";
import ApiGateway from "moleculer-web";
import { describe, expect, it } from "vitest";
import { DependencyUnavailableError, JobNotFoundError, ReportNotSentError } from "../../lib/errors";
import { clientErrorResponse, toHttpError } from "../../lib/http-errors";

describe("toHttpError", () => {
  it("words the validator's problems of a parameter as the gateway's own checks do", () => {
    const e = toHttpError(
      new Errors.ValidationError("Parameters validation error!", "VALIDATION_ERROR", [
        {
          type: "enumValue",
          field: "format",
          expected: "json, html, csv",
          actual: "xml",
          message: "m",
        },
        { type: "stringMax", field: "id", expected: 100, actual: 300, message: "m" },
        { type: "required", field: "id", message: "m" },
        { type: "stringMin", field: "id", expected: 1, actual: 0, message: "m" },
        { type: "__proto__", field: "x", message: "not ours to word" },
        { type: "numberMin", field: "n", expected: 1, actual: 0, message: "kept as it is" },
        { type: "enumValue", field: "by", actual: "zip", message: "a check's own words" },
      ]),
    );
    expect((e.body.error.data as { message: string }[]).map(p => p.message)).toEqual([
      "'format' must be one of json, html, csv.",
      "'id' must be at most 100 characters long.",
      "'id' is required.",
      "'id' must not be empty.",
      "not ours to word",
      "kept as it is",
      "a check's own words",
    ]);
  });

  it("names the charset it refuses, from the gateway's check or body-parser's", () => {
    for (const message of ['Unsupported charset "latin1"', 'unsupported charset "LATIN1"']) {
      const e = toHttpError(Object.assign(new Error(message), { type: "charset.unsupported" }));
      expect(e.status).toBe(415);
      expect(e.body.error).toEqual({
        type: "UNSUPPORTED_CHARSET",
        message: `Unsupported charset "${/"(.*)"/.exec(message)?.[1]}": bodies are read as UTF-8 only.`,
      });
    }
  });

  it("keeps client errors with their code, type and data", () => {
    const e = toHttpError(new Errors.ValidationError("bad", "VALIDATION_ERROR", [{ field: "n" }]));
    expect(e.status).toBe(422);
    expect(e.body).toEqual({
      error: { type: "VALIDATION_ERROR", message: "bad", data: [{ field: "n" }] },
    });
    expect(toHttpError(new JobNotFoundError("x")).status).toBe(404);
  });

  it("drops the node and action the validator names, and names each unknown parameter", () => {
    const e = toHttpError(
      new Errors.ValidationError("Parameters validation error!", "VALIDATION_ERROR", [
        {
          type: "numberMin",
          field: "limit",
          message: "m",
          actual: 0,
          nodeID: "vm-1",
          action: "a.b",
        },
        {
          type: "objectStrict",
          message: "m",
          expected: '"limit, before"',
          actual: "x, y",
          nodeID: "vm-1",
        },
      ]),
    );
    expect(e.body.error.message).toBe("Invalid parameters: limit, x, y");
    expect(e.body.error.data).toEqual([
      { type: "numberMin", field: "limit", message: "m", actual: 0 },
      {
        type: "unknownParameter",
        field: "x",
        message: "Unknown parameter 'x'.",
        expected: '"limit, before"',
      },
      {
        type: "unknownParameter",
        field: "y",
        message: "Unknown parameter 'y'.",
        expected: '"limit, before"',
      },
    ]);
  });

  it("names no expected parameters for a route that takes none", () => {
    const e = toHttpError(
      new Errors.ValidationError("Parameters validation error!", "VALIDATION_ERROR", [
        { type: "objectStrict", message: "m", expected: "", actual: "to" },
      ]),
    );
    expect(e.body.error.data).toEqual([
      { type: "unknownParameter", field: "to", message: "Unknown parameter 'to'." },
    ]);
  });

  it.each([
    new Errors.ServiceNotFoundError({ action: "userevents.submit" }),
    new Errors.ServiceNotAvailableError({ action: "userevents.submit" }),
    new Errors.RequestTimeoutError({ action: "userevents.submit", nodeID: "n1" }),
    // Missing from moleculer's typings, present at run time.
    new (
      Errors as unknown as { BrokerDisconnectedError: new () => Error }
    ).BrokerDisconnectedError(),
    new DependencyUnavailableError("Kafka", "down"),
    // moleculer-web's, for an action whose service never registered (code 503, no type); its
    // typings ask for arguments moleculer-web itself does not pass.
    new (ApiGateway.Errors.ServiceUnavailableError as unknown as new () => Error)(),
  ])("turns an unreachable service into 503 with Retry-After (%#)", err => {
    const e = toHttpError(err);
    expect(e.status).toBe(503);
    expect(e.headers["Retry-After"]).toBe("5");
    expect(e.body.error.type).toBe("SERVICE_UNAVAILABLE");
  });

  it.each([
    ["entity.parse.failed", 400, "MALFORMED_JSON"],
    ["entity.too.large", 413, "PAYLOAD_TOO_LARGE"],
  ])("maps body-parser's %s to %i", (type, status, ours) => {
    const e = toHttpError(Object.assign(new Error("x"), { type, status }));
    expect(e.status).toBe(status);
    expect(e.body.error.type).toBe(ours);
  });

  it("says what the body limit is when a body is too large", () => {
    // As moleculer-web passes it on: message, code and type only.
    const e = toHttpError(
      Object.assign(new Error("request entity too large"), { type: "entity.too.large", code: 413 }),
      { bodyLimitBytes: 5_242_880 },
    );
    expect(e.body.error).toEqual({
      type: "PAYLOAD_TOO_LARGE",
      message:
        "The request body is larger than 5242880 bytes (HTTP_BODY_LIMIT_BYTES); send the events in smaller batches.",
      data: { limit: 5_242_880 },
    });
  });

  it("answers 502 with its type and details when a service's mail server refused the work", () => {
    const e = toHttpError(
      new ReportNotSentError({
        id: 7,
        status: "failed",
        attempts: 1,
        error: "550 mailbox unavailable",
      } as ConstructorParameters<typeof ReportNotSentError>[0]),
    );
    expect(e).toMatchObject({ status: 502, internal: false });
    expect(e.headers["Retry-After"]).toBeUndefined();
    expect(e.body.error).toMatchObject({
      type: "REPORT_NOT_SENT",
      data: { id: 7, status: "failed", attempts: 1, error: "550 mailbox unavailable" },
    });
    expect(e.body.error.message).toContain("550 mailbox unavailable");
    // A bare 502 of unknown origin reveals nothing.
    expect(toHttpError({ code: 502, message: "secret" }).status).toBe(500);
  });

  it("hides internals of unexpected errors", () => {
    const e = toHttpError(new TypeError("cannot read properties of undefined (secret path)"));
    expect(e).toMatchObject({ status: 500, internal: true });
    expect(JSON.stringify(e.body)).not.toContain("secret");
    expect(toHttpError("a string").status).toBe(500);
  });
});

describe("clientErrorResponse", () => {
  /** Status line, headers and parsed body of a raw answer. */
  function parse(raw: string): { status: string; headers: string[]; body: unknown } {
    const [head = "", body = ""] = raw.split("\r\n\r\n");
    const [status = "", ...headers] = head.split("\r\n");
    expect(headers).toContain(`Content-Length: ${Buffer.byteLength(body)}`);
    return { status, headers, body: JSON.parse(body) };
  }

  it.each([
    ["ERR_HTTP_REQUEST_TIMEOUT", "HTTP/1.1 408 Request Timeout", "REQUEST_TIMEOUT"],
    ["HPE_HEADER_OVERFLOW", "HTTP/1.1 431 Request Header Fields Too Large", "HEADERS_TOO_LARGE"],
    ["HPE_INVALID_METHOD", "HTTP/1.1 400 Bad Request", "BAD_REQUEST"],
    [undefined, "HTTP/1.1 400 Bad Request", "BAD_REQUEST"],
  ])("answers %s with %s and a JSON error", (code, status, type) => {
    const answer = parse(clientErrorResponse(code));
    expect(answer.status).toBe(status);
    expect(answer.headers).toContain("Connection: close");
    expect(answer.body).toMatchObject({ error: { type } });
  });
});
