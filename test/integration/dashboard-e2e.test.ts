// The dashboard and the API docs in headless Chromium against the real system: load the page,
// submit 50 users with its control, see the total rise and the chart update; browse /docs.
import fs from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../lib/paths";
import { dlqTopic } from "../../lib/dead-letter";
import { launchBrowser, recordCspViolations, waitForText } from "../helpers/browser";
import { deleteTopics } from "../helpers/kafka";
import { startSystem, type TestSystem } from "../helpers/system";

let sys: TestSystem;
let browser: Browser;
const artifacts = path.join(projectRoot(), "test-results");
const digits = (text: string): number => Number(text.replace(/[^\d]/g, ""));

beforeAll(async () => {
  sys = await startSystem();
  browser = await launchBrowser();
  fs.mkdirSync(artifacts, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await sys?.stop();
  if (sys) await deleteTopics([sys.config.kafka.topic, dlqTopic(sys.config.kafka.topic)]);
});

async function openPage(url: string): Promise<{ page: Page; violations: () => Promise<string[]> }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const violations = await recordCspViolations(page);
  await page.goto(url);
  return { page, violations };
}

describe("dashboard in a browser", () => {
  it("shows the total rise and the chart update after submitting 50 users from the page", async () => {
    const { page, violations } = await openPage(`${sys.baseUrl}/`);
    await waitForText(page.getByTestId("connection"), /live/i, 15_000);
    const before = digits(await waitForText(page.getByTestId("total"), t => /\d/.test(t), 15_000));
    expect(before).toBe(0);

    await page.getByTestId("submit-n").fill("50");
    await page.getByTestId("submit-button").click();
    await waitForText(page.getByTestId("total"), t => digits(t) === before + 50, 30_000);

    const bars = page.getByTestId("bar");
    await expect.poll(() => bars.count(), { timeout: 10_000 }).toBeGreaterThan(0);
    const chartText = (await page.getByTestId("chart").textContent()) ?? "";
    expect(chartText).toMatch(/, [A-Z?]{2}/); // "City, ST" keys
    await waitForText(page.getByTestId("jobs"), /50 of 50 users produced/, 15_000);
    expect(await violations()).toEqual([]);
    await page.screenshot({ path: path.join(artifacts, "dashboard-e2e.png"), fullPage: true });
    await page.close();
  });

  it("sends a report from the page and lists it", async () => {
    const { page } = await openPage(`${sys.baseUrl}/`);
    await waitForText(page.getByTestId("connection"), /live/i, 15_000);
    await page.getByTestId("send-report").click();
    await waitForText(page.getByTestId("reports"), /report #\d+/i, 15_000);
    await page.close();
  });

  it("serves browsable API docs without a CDN or a CSP violation", async () => {
    const external: string[] = [];
    const page = await browser.newPage();
    page.on("request", req => {
      if (!req.url().startsWith(sys.baseUrl) && !req.url().startsWith("data:"))
        external.push(req.url());
    });
    const violations = await recordCspViolations(page);
    await page.goto(`${sys.baseUrl}/docs/`);
    await page.getByText("/submit/{n}").first().waitFor({ timeout: 20_000 });
    await page.getByText("/report/send").first().waitFor({ timeout: 5000 });
    expect(external).toEqual([]);
    expect(await violations()).toEqual([]);
    await page.screenshot({ path: path.join(artifacts, "docs.png") });
    await page.close();
  });
});
