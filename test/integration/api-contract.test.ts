// The API as documented: /openapi.json covers exactly the gateway's routes, real answers match the
// documented schemas, wrong methods get 405, and the docs and dashboard pages are served locally.
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../lib/retry";
import { API_ROUTES, openApiPath, PAGES } from "../../lib/routes";
import { dlqTopic } from "../../lib/dead-letter";
import { deleteTopics } from "../helpers/kafka";
import { http, startSystem, type TestSystem } from "../helpers/system";

let sys: TestSystem;
let doc: {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>
  >;
  components: unknown;
};
let jobId: string;

beforeAll(async () => {
  sys = await startSystem();
  doc = (await http(sys.baseUrl, "/openapi.json")).body as typeof doc;
  jobId = ((await http(sys.baseUrl, "/submit/5")).body as { jobId: string }).jobId;
  await waitFor(
    async () => ((await http(sys.baseUrl, "/report")).body as { total: number }).total === 5,
    30_000,
    "5 users",
  );
  await http(sys.baseUrl, "/report/send", { method: "POST" });
});

afterAll(async () => {
  await sys?.stop();
  if (sys) await deleteTopics([sys.config.kafka.topic, dlqTopic(sys.config.kafka.topic)]);
});

describe("API contract", () => {
  it("documents exactly the routes the gateway serves", () => {
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map(m => `${m.toUpperCase()} ${p}`),
    );
    const served = [
      ...API_ROUTES.map(r => `${r.method} ${openApiPath(r.path)}`),
      ...PAGES.map(p => `GET ${p}`),
    ];
    expect(documented.sort()).toEqual(served.sort());
  });

  it.each([
    ["GET", "/submit/3", undefined, "202"],
    ["GET", "/submit/0", undefined, "422"],
    ["GET", "/jobs/{job}", undefined, "200"],
    ["GET", "/jobs/nope", undefined, "404"],
    ["POST", "/events", JSON.stringify([{ id: "x" }]), "202"],
    ["GET", "/report?top=3", undefined, "200"],
    ["GET", "/report?by=zip", undefined, "422"],
    ["POST", "/report/send", undefined, "200"],
    ["GET", "/reports", undefined, "200"],
    ["GET", "/reports/1", undefined, "200"],
    ["GET", "/reports/99999", undefined, "404"],
    ["GET", "/healthcheck", undefined, "200"],
    ["GET", "/dashboard/state", undefined, "200"],
  ])("%s %s answers as documented (%s)", async (method, url, body, status) => {
    const real = url.replace("{job}", jobId);
    const res = await http(sys.baseUrl, real, {
      method,
      body,
      headers: body === undefined ? {} : { "content-type": "application/json" },
    });
    expect(String(res.status), res.text).toBe(status);
    const template = Object.keys(doc.paths).find(p =>
      new RegExp(`^${p.replace(/\{[^}]+\}/g, "[^/?]+")}(\\?|$)`).test(real),
    );
    expect(template, `a documented path for ${real}`).toBeDefined();
    const op = doc.paths[template as string]?.[method.toLowerCase()];
    const schema = op?.responses[status]?.content?.["application/json"]?.schema;
    expect(schema, `a documented ${status} schema`).toBeDefined();
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ $id: "doc", components: doc.components });
    const validate = ajv.compile(
      JSON.parse(JSON.stringify(schema).replace(/"#\/components/g, '"doc#/components')) as object,
    );
    expect(validate(res.body), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each([
    ["DELETE", "/report", "GET, HEAD, OPTIONS"],
    ["POST", "/submit/5", "GET, OPTIONS"],
    ["GET", "/events", "POST, OPTIONS"],
    ["PUT", "/reports/1", "GET, HEAD, OPTIONS"],
    ["GET", "/report/send", "POST, OPTIONS"],
  ])("answers %s %s with 405 and Allow: %s", async (method, url, allow) => {
    const res = await http(sys.baseUrl, url, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe(allow);
    expect(res.body).toMatchObject({ error: { type: "METHOD_NOT_ALLOWED" } });
  });

  it("sends no CORS headers when no origin is configured", async () => {
    const res = await fetch(`${sys.baseUrl}/report`, {
      headers: { Origin: "http://elsewhere.example" },
    });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("serves the dashboard and the API docs from local files", async () => {
    const page = await http(sys.baseUrl, "/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    const docs = await http(sys.baseUrl, "/docs/");
    expect(docs.status).toBe(200);
    expect(docs.text).toContain("/docs/vendor/swagger-ui-bundle.js");
    const bundle = await fetch(`${sys.baseUrl}/docs/vendor/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(docs.text).not.toMatch(/https?:\/\//);
  });
});
