import { describe, expect, it } from "vitest";
import { FixedWindowLimiter } from "../../lib/rate-limit";

describe("FixedWindowLimiter", () => {
  it("lets `limit` requests per client through in a window, then answers with Retry-After", () => {
    const limiter = new FixedWindowLimiter(2, 60_000);
    const t0 = 1_000_000;
    expect(limiter.hit("a", t0)).toEqual({
      allowed: true,
      headers: { "RateLimit-Limit": "2", "RateLimit-Remaining": "1", "RateLimit-Reset": "60" },
    });
    expect(limiter.hit("a", t0 + 1000).allowed).toBe(true);
    const over = limiter.hit("a", t0 + 30_000);
    expect(over.allowed).toBe(false);
    expect(over.headers).toMatchObject({ "RateLimit-Remaining": "0", "Retry-After": "30" });
    // Another client has its own budget.
    expect(limiter.hit("b", t0 + 30_000).allowed).toBe(true);
    // A new window starts everyone again.
    expect(limiter.hit("a", t0 + 60_000).allowed).toBe(true);
  });

  it("lets everything through with a limit of 0", () => {
    const limiter = new FixedWindowLimiter(0, 1000);
    for (let i = 0; i < 100; i++) expect(limiter.hit("a").allowed).toBe(true);
  });
});
