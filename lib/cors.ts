// Which browser origins may call the API (CORS_ORIGINS), decided exactly: moleculer-web's own check
// of a configured string is a substring test, which would let "https://app.example.co" in when
// "https://app.example.com" is configured.

/** The origin in the form browsers send it: scheme and host in lower case, no default port. */
function canonical(origin: string): string {
  try {
    const url = new URL(origin);
    return url.origin === "null" ? origin.toLowerCase() : url.origin;
  } catch {
    return origin.toLowerCase();
  }
}

/**
 * A check for moleculer-web's `cors.origin`: true for an origin equal to one configured, or
 * matching one with `*` wildcards (`https://*.example.com`; `*` stands for any run of characters
 * but `/`); any origin for "*"; "null" (file:// pages) only when configured.
 */
export function originMatcher(allowed: readonly string[]): (origin: string) => boolean {
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  for (const entry of allowed) {
    if (entry === "*") return () => true;
    if (entry.includes("*")) {
      // As browsers send it: no default port.
      const parts = entry
        .toLowerCase()
        .replace(/^(https:\/\/.*):443$|^(http:\/\/.*):80$/, "$1$2")
        .split("*")
        .map(part => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
      patterns.push(new RegExp(`^${parts.join("[^/]*")}$`));
    } else {
      exact.add(canonical(entry));
    }
  }
  return origin => {
    const form = canonical(origin);
    return exact.has(form) || patterns.some(pattern => pattern.test(form));
  };
}

/**
 * Whether a request's Origin is the gateway's own (the dashboard's or /docs' own POST, which a
 * browser sends with an Origin header): the origin's host and port are those of the Host header.
 * Such a request is not a cross-origin one and needs no CORS_ORIGINS entry.
 */
export function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    const url = new URL(origin);
    if (url.protocol !== "http:" && url.protocol !== "https:") return false;
    return url.host === new URL(`${url.protocol}//${host}`).host;
  } catch {
    return false;
  }
}
