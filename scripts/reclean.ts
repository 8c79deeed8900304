/**
 * npm run reclean
 *
 * Re-runs the current cleaning rules (lib/normalize.ts) over every stored user event, from the raw
 * address kept beside each cleaned one, and rebuilds the report counters. Stop userstats first
 * (make stop-services, or make down): it caches reports.
 */
import fs from "node:fs";
import path from "node:path";
import { loadConfig } from "../lib/config";
import { createNormalizer } from "../lib/normalize";
import { projectRoot } from "../lib/paths";
import { UserStatsStore } from "../lib/stats-store";

/** The pid of the userstats that `make up` started, if it still runs. */
function runningUserstats(): number | undefined {
  const runDir = process.env.RUN_DIR ?? path.join(projectRoot(), ".run");
  try {
    const pid = Number(fs.readFileSync(path.join(runDir, "userstats.pid"), "utf8").trim());
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

const pid = runningUserstats();
if (pid !== undefined && !process.argv.includes("--force")) {
  console.error(
    `error: userstats runs (pid ${pid}) and would keep answering reports of the old counts; ` +
      "stop it first (make stop-services), or pass --force and restart it afterwards.",
  );
  process.exit(1);
}

const config = loadConfig();
const file = path.join(config.dataDir, "userstats.sqlite");
const store = new UserStatsStore(file, createNormalizer());
const started = Date.now();
const changed = store.reclean();
console.log(
  `${file}: ${changed} of ${store.total()} events changed by the current rules (${Date.now() - started} ms).`,
);
store.close();
