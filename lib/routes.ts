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
}

export const API_ROUTES: readonly ApiRoute[] = [
  { method: "GET", path: "submit/:n", action: "userevents.submit" },
  { method: "GET", path: "jobs/:id", action: "userevents.job" },
  { method: "POST", path: "events" },
  { method: "GET", path: "report", action: "userstats.report" },
  { method: "POST", path: "report/send", action: "userstats.sendReport" },
  { method: "GET", path: "reports", action: "userstats.reports" },
  { method: "GET", path: "reports/:id", action: "userstats.getReport" },
  { method: "GET", path: "healthcheck", action: "api.health" },
  { method: "GET", path: "dashboard/state", action: "api.dashboard" },
  { method: "GET", path: "openapi.json", action: "api.openapi" },
];

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** For every route path, the methods it does not take, with the ones it does ("Allow"). */
export function wrongMethods(): { method: string; path: string; allowed: string[] }[] {
  const byPath = new Map<string, string[]>();
  for (const r of API_ROUTES) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r.method]);
  return [...byPath].flatMap(([p, allowed]) =>
    METHODS.filter(m => !allowed.includes(m)).map(method => ({ method, path: p, allowed })),
  );
}

/** The OpenAPI form of an alias path: "reports/:id" → "/reports/{id}". */
export function openApiPath(aliasPath: string): string {
  return `/${aliasPath.replace(/:([A-Za-z_]+)/g, "{$1}")}`;
}
