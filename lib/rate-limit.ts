/**
 * A fixed-window rate limiter per client, for the write endpoints, with the standard headers of
 * draft-ietf-httpapi-ratelimit-headers (RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset) and
 * Retry-After when a client is over its limit.
 */

export interface RateDecision {
  allowed: boolean;
  headers: Record<string, string>;
}

export class FixedWindowLimiter {
  private windowStart = 0;
  private readonly hits = new Map<string, number>();

  /** `limit` requests per client per `windowMs`; a limit of 0 lets everything through. */
  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Counts one request of `client` at `now` and says whether it may go on. */
  hit(client: string, now = Date.now()): RateDecision {
    if (this.limit <= 0) return { allowed: true, headers: {} };
    if (now - this.windowStart >= this.windowMs) {
      // A new window from this request on: every client starts again (and the map never outgrows
      // one window's clients).
      this.windowStart = now;
      this.hits.clear();
    }
    const count = (this.hits.get(client) ?? 0) + 1;
    this.hits.set(client, count);
    const reset = Math.max(1, Math.ceil((this.windowStart + this.windowMs - now) / 1000));
    const headers: Record<string, string> = {
      "RateLimit-Limit": String(this.limit),
      "RateLimit-Remaining": String(Math.max(0, this.limit - count)),
      "RateLimit-Reset": String(reset),
    };
    if (count > this.limit)
      return { allowed: false, headers: { ...headers, "Retry-After": String(reset) } };
    return { allowed: true, headers };
  }
}
