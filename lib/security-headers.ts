/**
 * Security headers of the gateway's answers. JSON answers allow nothing to run; the dashboard may
 * load only its own files; the Swagger UI page also needs inline styles and data: images; a stored
 * report shown as HTML (an email) may only style itself.
 */
import type { ServerResponse } from "node:http";

const COMMON: Record<string, string> = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
};

export const CSP = {
  api: "default-src 'none'; frame-ancestors 'none'",
  page: "default-src 'self'; base-uri 'none'; form-action 'self'; object-src 'none'; frame-ancestors 'none'",
  docs: "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'",
  email: "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
} as const;

/** The common headers and the given Content-Security-Policy. */
export function securityHeaders(csp: string): Record<string, string> {
  return { ...COMMON, "Content-Security-Policy": csp };
}

/** Sets the common headers and the given Content-Security-Policy. */
export function setSecurityHeaders(res: ServerResponse, csp: string): void {
  for (const [name, value] of Object.entries(securityHeaders(csp))) res.setHeader(name, value);
}

/** The CSP of a static file of the dashboard or the docs, by its URL path. */
export function cspForPath(urlPath: string): string {
  return urlPath.startsWith("/docs") ? CSP.docs : CSP.page;
}
