/**
 * npm run reclean
 *
 * Re-runs the current cleaning rules (lib/normalize.ts) over every stored user event, from the raw
 * address kept beside each cleaned one, and rebuilds the report counters. Stop userstats first
 * (make stop-services, or make down): it caches reports.
 */
import path from "node:path";
import { loadConfig } from "../lib/config";
import { createNormalizer } from "../lib/normalize";
import { UserStatsStore } from "../lib/stats-store";

const config = loadConfig();
const file = path.join(config.dataDir, "userstats.sqlite");
const store = new UserStatsStore(file, createNormalizer());
const started = Date.now();
const changed = store.reclean();
console.log(
  `${file}: ${changed} of ${store.total()} events changed by the current rules (${Date.now() - started} ms).`,
);
store.close();
