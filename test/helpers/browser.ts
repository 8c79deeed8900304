// Headless Chromium for page tests: Debian's /usr/bin/chromium driven by playwright-core (no browser
// download), plus a static file handler and a CSP violation recorder.
import fs from "node:fs";
import type { ServerResponse } from "node:http";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { chromium, type Browser, type Locator, type Page } from "playwright-core";

/** Where scripts/install-chromium.sh puts Chromium. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

const CHROMIUM_ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Starts headless Chromium (playwright gives it a fresh temporary profile); close() it when done. */
export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is missing (${CHROMIUM_PATH}): run make test, which installs it ` +
        "(or scripts/install-chromium.sh on its own).",
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
};

/**
 * Answers a GET of urlPath from the files under root ("/" is index.html) and returns true, or
 * returns false without answering when there is no such file (paths never leave root).
 */
export function serveStatic(
  root: string,
  urlPath: string,
  res: ServerResponse,
  headers: Record<string, string> = {},
): boolean {
  const relative = path.normalize(decodeURIComponent(urlPath === "/" ? "/index.html" : urlPath));
  const file = path.join(root, relative);
  if (!file.startsWith(path.resolve(root) + path.sep) || !fs.existsSync(file)) return false;
  if (!fs.statSync(file).isFile()) return false;
  const type = CONTENT_TYPES[path.extname(file)] ?? "application/octet-stream";
  res.writeHead(200, { ...headers, "content-type": type, "cache-control": "no-store" });
  res.end(fs.readFileSync(file));
  return true;
}

/**
 * Records every Content-Security-Policy violation of the page from now on: the
 * `securitypolicyviolation` DOM events (installed before any page script runs) and Chromium's
 * console reports. Call before page.goto(); the returned function reads what was recorded so far.
 */
export async function recordCspViolations(page: Page): Promise<() => Promise<string[]>> {
  const fromConsole: string[] = [];
  page.on("console", message => {
    if (/Content Security Policy/i.test(message.text())) fromConsole.push(message.text());
  });
  // A string, not a function: the project compiles without the DOM types.
  await page.addInitScript(`
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", event => {
      window.__cspViolations.push(event.effectiveDirective + " blocked " + (event.blockedURI || "inline"));
    });
  `);
  return async () => {
    const fromEvents = await page.evaluate<string[]>("window.__cspViolations ?? []");
    return [...fromEvents, ...fromConsole];
  };
}

/**
 * Waits until the text of locator (one element) passes expected: contains the string, matches the
 * pattern, or satisfies the predicate; returns that text. Fails after timeoutMs naming the last text.
 */
export async function waitForText(
  locator: Locator,
  expected: string | RegExp | ((text: string) => boolean),
  timeoutMs = 5000,
): Promise<string> {
  const passes =
    typeof expected === "function"
      ? expected
      : typeof expected === "string"
        ? (text: string) => text.includes(expected)
        : (text: string) => expected.test(text);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await locator
      .textContent({ timeout: Math.max(deadline - Date.now(), 1) })
      .catch(() => null);
    if (last !== null && passes(last)) return last;
    if (Date.now() >= deadline) {
      const seen = last === null ? "no such element" : JSON.stringify(last);
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${String(locator)} to show ${String(expected)}; last: ${seen}`,
      );
    }
    await delay(50);
  }
}

/** The value of attribute name on every element of locator, in order (null where missing). */
export async function attributes(locator: Locator, name: string): Promise<(string | null)[]> {
  const count = await locator.count();
  return Promise.all(Array.from({ length: count }, (_, i) => locator.nth(i).getAttribute(name)));
}
