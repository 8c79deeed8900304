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

/** When a process started (clock ticks since boot: field 22 of /proc/<pid>/stat), if it runs. */
function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The fields after the command name, which may hold spaces and parentheses.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/**
 * The pid of the userstats that `make up` started, if it still runs: the pid file names a live
 * process, and (as scripts/lib.sh checks) the one that started then, not a later one given its pid.
 */
function runningUserstats(): number | undefined {
  // This script's own setting, as the run scripts read it (README: Configuration, "Scripts").
  const runDir = process.env.RUN_DIR ?? path.join(projectRoot(), ".run");
  const read = (name: string): string | undefined => {
    try {
      return fs.readFileSync(path.join(runDir, name), "utf8").trim();
    } catch {
      return undefined;
    }
  };
  const text = read("userstats.pid");
  if (text === undefined || !/^[1-9][0-9]*$/.test(text)) return undefined;
  const pid = Number(text);
  if (!fs.existsSync("/proc/self/stat")) {
    // No /proc (macOS): whether the pid is alive is all there is to know, as scripts/lib.sh does.
    try {
      process.kill(pid, 0);
      return pid;
    } catch {
      return undefined;
    }
  }
  const started = startTime(pid);
  if (started === undefined) return undefined;
  const recorded = read("userstats.started");
  if (recorded !== undefined && recorded !== "" && recorded !== started) return undefined;
  return pid;
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
