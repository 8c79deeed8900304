import { describe, expect, it } from "vitest";
import { isSameOrigin, originMatcher } from "../../lib/cors";

describe("originMatcher", () => {
  const allowed = originMatcher([
    "https://app.example.com",
    "http://localhost:3000",
    "https://*.example.org",
    "null",
  ]);

  it.each([
    "https://app.example.com",
    "HTTPS://App.Example.com",
    "http://localhost:3000",
    "https://a.example.org",
    "https://a.b.example.org",
    "null",
  ])("lets %s in", origin => expect(allowed(origin)).toBe(true));

  it.each([
    // Only the beginning of a configured origin (moleculer-web's own check let these in).
    "https://app.example.co",
    "https://app",
    "http://localhost:300",
    "http://localhost",
    "h",
    // Another scheme, port or host.
    "http://app.example.com",
    "https://app.example.com:8443",
    "https://app.example.com.evil.test",
    "https://example.org",
    "https://evil.test/.example.org",
    "",
  ])("keeps %s out", origin => expect(allowed(origin)).toBe(false));

  it("takes a wildcard entry with a default port as browsers send it, without", () => {
    const withPorts = originMatcher(["https://*.example.com:443", "http://*.local:80"]);
    expect(withPorts("https://a.example.com")).toBe(true);
    expect(withPorts("http://box.local")).toBe(true);
    expect(withPorts("http://box.local:8080")).toBe(false);
  });

  it("lets any origin in for *", () => {
    expect(originMatcher(["*"])("https://anything.test")).toBe(true);
  });

  it("keeps null out unless configured", () => {
    expect(originMatcher(["https://app.example.com"])("null")).toBe(false);
  });
});

describe("isSameOrigin", () => {
  it.each([
    ["http://localhost:8000", "localhost:8000", true],
    ["http://127.0.0.1:8000", "127.0.0.1:8000", true],
    ["https://stats.example.com", "stats.example.com", true],
    ["https://stats.example.com", "stats.example.com:443", true],
    ["http://LOCALHOST:8000", "localhost:8000", true],
    ["http://localhost:8001", "localhost:8000", false],
    ["http://evil.test", "localhost:8000", false],
    ["null", "localhost:8000", false],
    ["file://", "localhost:8000", false],
    ["http://localhost:8000", undefined, false],
    ["not an origin", "localhost:8000", false],
  ] as const)("%s with Host %s: %s", (origin, host, expected) => {
    expect(isSameOrigin(origin, host)).toBe(expected);
  });
});
