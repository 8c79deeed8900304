/**
 * The gateway's HTTP routes in one table: the gateway builds its aliases (and its 405 answers)
 * from it, and the OpenAPI document is checked against it.
 */

export interface ApiRoute {
  method: "GET" | "POST";
  /** moleculer-web alias path, relative to "/" (":name" for a path parameter). */
  path: string;
  /** The action behind it; undefined for routes served outside the main route (POST /events). */
  action?: string;
  /** A GET without side effects: HEAD is answered too. */
  safe?: boolean;
  /** Writes data: rate-limited per client. */
  write?: boolean;
}

export const API_ROUTES: readonly ApiRoute[] = [
  { method: "GET", path: "submit/:n", action: "userevents.submit", write: true },
  { method: "GET", path: "jobs/:id", action: "userevents.job", safe: true },
  { method: "POST", path: "events", write: true },
  // Through the gateway's report cache (api.report), which asks userstats.report when needed.
  { method: "GET", path: "report", action: "api.report", safe: true },
  { method: "POST", path: "report/send", action: "userstats.sendReport", write: true },
  { method: "GET", path: "reports", action: "userstats.reports", safe: true },
  { method: "GET", path: "reports/:id", action: "userstats.getReport", safe: true },
  { method: "GET", path: "healthcheck", action: "api.health", safe: true },
  { method: "GET", path: "dashboard/state", action: "api.dashboard", safe: true },
  { method: "GET", path: "openapi.json", action: "api.openapi", safe: true },
];

/** The pages a person opens (static files, GET and HEAD only): the dashboard and the API docs. */
export const PAGES: readonly string[] = ["/", "/docs/"];

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const;

/** Whether the gateway has 405 aliases for this method (the common ones; not TRACE, PROPFIND…). */
export function hasMethodAliases(method: string): boolean {
  return (METHODS as readonly string[]).includes(method);
}

/** The methods of each route path (HEAD with safe GETs), in a stable order. */
function methodsByPath(): Map<string, string[]> {
  const byPath = new Map<string, string[]>();
  for (const r of API_ROUTES) {
    const methods = byPath.get(r.path) ?? [];
    methods.push(r.method);
    if (r.safe === true) methods.push("HEAD");
    byPath.set(r.path, methods);
  }
  return byPath;
}

/** For every route path, the methods it does not take, with the ones it does ("Allow"). */
export function wrongMethods(): { method: string; path: string; allowed: string[] }[] {
  return [...methodsByPath()].flatMap(([p, allowed]) =>
    METHODS.filter(m => !allowed.includes(m)).map(method => ({ method, path: p, allowed })),
  );
}

/** HEAD aliases of the safe GET routes ("HEAD report" → the action of "GET report"). */
export function headAliases(): Record<string, string> {
  return Object.fromEntries(
    API_ROUTES.filter(r => r.safe === true && r.action !== undefined).map(r => [
      `HEAD ${r.path}`,
      r.action as string,
    ]),
  );
}

const PATTERNS = [...methodsByPath()].map(([p, methods]) => ({
  methods,
  writes: API_ROUTES.filter(r => r.path === p && r.write === true).map(r => r.method as string),
  re: new RegExp(
    `^/${p
      .split("/")
      .map(part => (part.startsWith(":") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("/")}$`,
    // moleculer-web matches aliases and route paths whatever their case ("/SUBMIT/1" is routed).
    "i",
  ),
}));

/**
 * The path as the patterns compare it: without its trailing slashes. moleculer-web drops one and
 * its alias patterns accept one more ("/submit/1//" is routed); dropping them all matches a
 * superset, which is the safe side for a rate limit.
 */
const trimmed = (urlPath: string): string => urlPath.replace(/\/+$/, "");

/** The route pattern a URL path falls under, as the gateway would route it. */
const patternOf = (urlPath: string) => {
  const path = trimmed(urlPath);
  return PATTERNS.find(p => p.re.test(path));
};

/** True when the request is to a write endpoint (rate-limited). */
export function isWrite(method: string, urlPath: string): boolean {
  return patternOf(urlPath)?.writes.includes(method.toUpperCase()) ?? false;
}

/** The methods a URL path answers to (empty when it is no route), for OPTIONS and Allow. */
export function allowedFor(urlPath: string): string[] {
  return patternOf(urlPath)?.methods ?? [];
}

/** The Allow header of a route path: its methods, and OPTIONS, which every route answers. */
export function allowHeader(allowed: readonly string[]): string {
  return [...allowed, "OPTIONS"].join(", ");
}

/** The OpenAPI form of an alias path: "reports/:id" → "/reports/{id}". */
export function openApiPath(aliasPath: string): string {
  return `/${aliasPath.replace(/:([A-Za-z_]+)/g, "{$1}")}`;
}
