// The dashboard page (public/) in headless Chromium against a fake gateway: a node:http server that
// serves public/ under CSP default-src 'self' and answers /dashboard/state, /submit/:n and
// /report/send as the contract says. No brokers.
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../lib/retry";
import {
  attributes,
  launchBrowser,
  recordCspViolations,
  serveStatic,
  waitForText,
} from "../helpers/browser";

const ROOT = path.resolve(__dirname, "../..");
const PUBLIC_DIR = path.join(ROOT, "public");
const RESULTS_DIR = path.join(ROOT, "test-results");
const CSP = "default-src 'self'";
const SUBMIT_MAX = 500_000;
const JOB_ID = "9d2e41c7-5b1a-4c3e-8f00-6a7b8c9d0e1f";

/** Events per second of the fake counters. */
const RATE_IN = 2000;
const RATE_OUT = 1500;

/** What the fake gateway answers, changed by the tests; every request is logged in calls. */
const fake = {
  down: false,
  /** userstats does not answer: the state has only userevents' parts (and one more job). */
  statsDown: false,
  /** When the fake producer and consumer (re)started, and their counters then. */
  since: Date.now(),
  base: { produced: 100_000, consumed: 98_000 },
  calls: [] as string[],
};

/** Restarts the fake services: their counters begin again from 0. */
function restartCounters(): void {
  fake.since = Date.now();
  fake.base = { produced: 0, consumed: 0 };
}

const minutesAgo = (m: number): string => new Date(Date.now() - m * 60_000).toISOString();

const CITIES: [string, number][] = [
  ["New York, NY", 51_200],
  ["Los Angeles, CA", 25_000],
  ["Chicago, IL", 19_000],
  ["Houston, TX", 12_000],
  ["Phoenix, AZ", 9_100],
  ["Philadelphia, PA", 8_800],
  ["San Antonio, TX", 8_000],
  ["San Diego, CA", 7_600],
  ["Dallas, TX", 7_100],
  ["Jacksonville, FL", 800],
];

function dashboardState(): unknown {
  const state = fullState();
  if (!fake.statsDown) return { ...state, unavailable: [] };
  return {
    ...state,
    total: null,
    topCities: [],
    counters: { produced: state.counters.produced, consumed: null },
    lag: null,
    reports: [],
    jobs: [job("5a5a5a5a-0000-4000-8000-000000000004", "running", 2000, 500), ...state.jobs],
    unavailable: ["userstats"],
  };
}

function fullState() {
  const now = Date.now();
  const seconds = (now - fake.since) / 1000;
  return {
    timestamp: new Date(now).toISOString(),
    total: 1_234_567,
    topCities: CITIES,
    counters: {
      produced: fake.base.produced + Math.floor(RATE_IN * seconds),
      consumed: fake.base.consumed + Math.floor(RATE_OUT * seconds),
    },
    lag: 1234,
    jobs: [
      job("4f1c2a9e-0000-4000-8000-000000000001", "running", 100_000, 40_000),
      job("77aa0b3c-0000-4000-8000-000000000002", "done", 50, 50),
      {
        ...job("e1d2c3b4-0000-4000-8000-000000000003", "failed", 1000, 200),
        error: "Kafka unreachable",
      },
    ],
    reports: [
      report(4, "pending", { attempts: 2, error: "421 try later", nextAttemptAt: minutesAgo(-1) }),
      report(3, "sent", { sentAt: minutesAgo(1) }),
      report(2, "logged", { sentAt: minutesAgo(2) }),
      report(1, "failed", { attempts: 5, error: "550 mailbox unavailable" }),
    ],
  };
}

function job(id: string, state: string, total: number, produced: number): Record<string, unknown> {
  return { id, state, total, produced, createdAt: minutesAgo(3), updatedAt: minutesAgo(0) };
}

function report(
  id: number,
  status: string,
  more: Record<string, unknown>,
): Record<string, unknown> {
  return {
    id,
    createdAt: minutesAgo(5 - id),
    trigger: id % 2 ? "schedule" : "request",
    status,
    attempts: 1,
    total: 1_234_567,
    sentAt: null,
    error: null,
    ...more,
  };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "content-security-policy": CSP });
  res.end(JSON.stringify(body));
}

function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? "/", "http://localhost");
  fake.calls.push(`${req.method} ${url.pathname}`);
  const submit = /^\/submit\/(\d+)$/.exec(url.pathname);
  if (req.method === "GET" && url.pathname === "/dashboard/state") {
    if (!fake.down) return sendJson(res, 200, dashboardState());
    res.setHeader("retry-after", "1");
    return sendJson(res, 503, {
      error: {
        type: "SERVICE_NOT_AVAILABLE",
        message: "Service 'userstats' is not available.",
        data: {},
      },
    });
  }
  if (req.method === "GET" && submit) {
    const n = Number(submit[1]);
    if (n <= SUBMIT_MAX) return sendJson(res, 202, { accepted: n, jobId: JOB_ID });
    return sendJson(res, 422, {
      error: {
        type: "VALIDATION_ERROR",
        message: "Invalid parameter: n",
        data: [
          {
            type: "integer",
            field: "n",
            message: `'n' must be a whole number from 1 to ${SUBMIT_MAX}.`,
          },
        ],
      },
    });
  }
  if (req.method === "POST" && url.pathname === "/report/send") {
    return sendJson(res, 200, { id: 5, status: "logged", attempts: 1, total: 1_234_567 });
  }
  if (
    req.method === "GET" &&
    serveStatic(PUBLIC_DIR, url.pathname, res, { "content-security-policy": CSP })
  ) {
    return;
  }
  sendJson(res, 404, { error: { type: "NOT_FOUND", message: "Not found", data: {} } });
}

const numberIn = (text: string): number => Number(text.replace(/[^\d.]/g, ""));

// Waits are bounded (5 s each, 8 s for the reconnection); a test may need two of them.
describe("dashboard page", { timeout: 20_000 }, () => {
  let server: http.Server;
  let base: string;
  let browser: Browser;
  let page: Page;
  let cspViolations: () => Promise<string[]>;
  let pageCsp: string | undefined;

  beforeAll(async () => {
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    server = http.createServer(handle);
    await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
    const context = await browser.newContext({
      locale: "en-US",
      viewport: { width: 1280, height: 900 },
    });
    page = await context.newPage();
    cspViolations = await recordCspViolations(page);
    const response = await page.goto(`${base}/`);
    pageCsp = response?.headers()["content-security-policy"];
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise(resolve => server?.close(resolve));
  });

  it("shows the total with thousands separators and the connection as live", async () => {
    await waitForText(page.getByTestId("total"), "1,234,567");
    await waitFor(
      async () => (await page.getByTestId("connection").getAttribute("data-state")) === "live",
      5000,
      "live",
    );
    expect(await page.getByTestId("connection").textContent()).toContain("Live");
  });

  it("draws one bar per city, in order, with names, counts and relative widths", async () => {
    const bars = page.getByTestId("chart").getByTestId("bar");
    await waitFor(async () => (await bars.count()) === CITIES.length, 5000, "a bar per city");
    expect(await bars.locator(".bar-name").allTextContents()).toEqual(CITIES.map(([city]) => city));
    const counts = await bars.locator(".bar-count").allTextContents();
    expect(counts).toEqual(CITIES.map(([, n]) => n.toLocaleString("en-US")));
    const widths = await attributes(bars.locator(".bar-fill"), "style");
    expect(widths[0]).toContain("width: 100%");
    expect(widths[1]).toMatch(/width: 48\.8\d*%/);
  });

  it("computes events per second from the counters, and 0 over a restart", async () => {
    const positive = (text: string): boolean => numberIn(text) > 0;
    const rateIn = numberIn(await waitForText(page.getByTestId("rate-in"), positive));
    const rateOut = numberIn(await waitForText(page.getByTestId("rate-out"), positive));
    expect(rateIn).toBeGreaterThan(RATE_IN * 0.9);
    expect(rateIn).toBeLessThan(RATE_IN * 1.1);
    expect(rateOut).toBeGreaterThan(RATE_OUT * 0.9);
    expect(rateOut).toBeLessThan(RATE_OUT * 1.1);
    restartCounters();
    await waitForText(page.getByTestId("rate-in"), text => text === "0");
    await waitForText(page.getByTestId("rate-in"), positive);
  });

  it("shows the consumer lag", async () => {
    await waitForText(page.getByTestId("lag"), "1,234");
  });

  it("lists the jobs with a progress bar each", async () => {
    const jobs = page.getByTestId("jobs").locator("li");
    await waitFor(async () => (await jobs.count()) === 3, 5000, "three jobs");
    const running = jobs.first();
    expect(await running.getAttribute("data-state")).toBe("running");
    expect(await running.textContent()).toContain("40,000 of 100,000 users produced");
    expect(await running.locator(".percent").textContent()).toBe("40%");
    expect(await running.locator("progress").getAttribute("value")).toBe("40000");
    expect(await running.locator("progress").getAttribute("max")).toBe("100000");
    expect(await jobs.nth(1).textContent()).toContain("Done");
    expect(await jobs.nth(2).textContent()).toContain("Kafka unreachable");
  });

  it("lists the reports with each send status and a link to the HTML report", async () => {
    const reports = page.getByTestId("reports").locator("li");
    await waitFor(async () => (await reports.count()) === 4, 5000, "four reports");
    expect(await attributes(reports, "data-status")).toEqual([
      "pending",
      "sent",
      "logged",
      "failed",
    ]);
    const texts = await reports.allTextContents();
    expect(texts[0]).toContain("Pending retry");
    expect(texts[0]).toContain("421 try later");
    expect(texts[1]).toContain("Sent");
    expect(texts[2]).toContain("Logged (no SMTP)");
    expect(texts[3]).toContain("Failed");
    const href = await reports.first().locator("a").getAttribute("href");
    expect(new URL(href ?? "", `${base}/`).href).toBe(`${base}/reports/4?format=html`);
  });

  it("submits 50 users and shows the acknowledgement", async () => {
    expect(await page.getByTestId("submit-n").inputValue()).toBe("50");
    await page.getByTestId("submit-button").click();
    await waitFor(() => fake.calls.includes("GET /submit/50"), 5000, "GET /submit/50");
    await waitForText(page.locator("#submit-msg"), "Accepted 50 users as job 9d2e41c7.");
  });

  // Above the default SUBMIT_MAX too: the gateway's limit is the one that counts, not the page's.
  it("shows the message of a 422, submitting with the keyboard", async () => {
    await page.getByTestId("submit-n").fill("2000000");
    await page.getByTestId("submit-n").press("Enter");
    await waitForText(
      page.locator("#submit-msg"),
      `'n' must be a whole number from 1 to ${SUBMIT_MAX}.`,
    );
    expect(fake.calls).toContain("GET /submit/2000000");
    await page.getByTestId("submit-n").fill("50");
  });

  it("sends the report now with POST /report/send", async () => {
    await page.getByTestId("send-report").focus();
    await page.keyboard.press("Enter");
    await waitFor(() => fake.calls.includes("POST /report/send"), 5000, "POST /report/send");
    await waitForText(page.locator("#report-msg"), "Report #5 written to the log");
  });

  it("shows the connection as lost while the state answers 503, and recovers", async () => {
    const connection = page.getByTestId("connection");
    fake.down = true;
    await waitForText(connection, "Connection lost");
    expect(await connection.getAttribute("data-state")).toBe("lost");
    await page.screenshot({
      path: path.join(RESULTS_DIR, "dashboard-lost.png"),
      animations: "disabled",
    });
    fake.down = false;
    await waitForText(connection, "Live", 8000);
    await waitForText(page.getByTestId("total"), "1,234,567");
  });

  it("keeps the stats it showed while userstats does not answer, and goes on with the jobs", async () => {
    const connection = page.getByTestId("connection");
    const jobs = page.getByTestId("jobs").locator("li");
    await waitForText(connection, "Live");
    fake.statsDown = true;
    await waitForText(connection, "Partly live");
    expect(await connection.getAttribute("data-state")).toBe("partial");
    await waitForText(page.locator("#updated"), "userstats not answering");
    await waitFor(async () => (await jobs.count()) === 4, 5000, "the new job");
    expect(await jobs.first().textContent()).toContain("500 of 2,000 users produced");
    // What userstats showed stays: no empty chart, no dash for the total or the lag.
    expect(await page.getByTestId("total").textContent()).toBe("1,234,567");
    expect(await page.getByTestId("lag").textContent()).toBe("1,234");
    expect(await page.getByTestId("chart").locator("li").count()).toBe(CITIES.length);
    expect(await page.getByTestId("reports").locator("li").count()).toBe(4);
    await waitForText(page.getByTestId("rate-out"), "–");
    fake.statsDown = false;
    await waitForText(connection, "Live", 8000);
    await waitFor(async () => (await jobs.count()) === 3, 5000, "three jobs again");
  });

  it("fits a phone's width and saves screenshots", async () => {
    await page.getByTestId("send-report").blur();
    const shot = { fullPage: true, animations: "disabled" } as const;
    await page.screenshot({ ...shot, path: path.join(RESULTS_DIR, "dashboard.png") });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ ...shot, path: path.join(RESULTS_DIR, "dashboard-phone.png") });
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await page.emulateMedia({ colorScheme: "dark" });
    await page.screenshot({ ...shot, path: path.join(RESULTS_DIR, "dashboard-phone-dark.png") });
    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("runs under CSP default-src 'self' without a violation (and the check does see one)", async () => {
    expect(pageCsp).toBe(CSP);
    expect(await cspViolations()).toEqual([]);
    // Control: an inline <style> must be blocked and reported, or the check above proves nothing.
    await page.evaluate(
      "document.head.append(Object.assign(document.createElement('style'), { textContent: 'body {}' }))",
    );
    await waitFor(
      async () => (await cspViolations()).length > 0,
      5000,
      "the control's CSP violation",
    );
  });
});
