// npm run reclean, as a user runs it (the compiled script), on a real SQLite file in a temp folder.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { projectRoot } from "../../lib/paths";
import { tempDir } from "../helpers/tmp";

const run = promisify(execFile);
const script = path.join(projectRoot(), "dist/scripts/reclean.js");

describe("npm run reclean", () => {
  let tmp: ReturnType<typeof tempDir>;
  let env: NodeJS.ProcessEnv;
  beforeEach(() => {
    tmp = tempDir();
    env = { ...process.env, RUN_DIR: tmp.dir, DATA_DIR: path.join(tmp.dir, "data") };
    fs.mkdirSync(path.join(tmp.dir, "data"));
  });
  afterEach(() => tmp.remove());

  it("refuses while the userstats of make up runs, and says how to go on", async () => {
    // A live process in the pid file: this test's own.
    fs.writeFileSync(path.join(tmp.dir, "userstats.pid"), String(process.pid));
    const failed = await run("node", [script], { env }).then(
      () => undefined,
      (err: unknown) => err as { code: number; stderr: string },
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain(`userstats runs (pid ${process.pid})`);
    expect(fs.existsSync(path.join(tmp.dir, "data", "userstats.sqlite"))).toBe(false);

    const forced = await run("node", [script, "--force"], { env });
    expect(forced.stdout).toMatch(/0 of 0 events changed/);
  });

  it.each([
    ["names a process that is gone", "999999999", undefined],
    ["is empty", "", undefined],
    ["holds no pid", "not a pid", undefined],
    // The pid of a live process (this test's) that started after the recorded userstats did.
    ["names a process that reused the pid", String(process.pid), "1"],
  ])("runs when the pid file %s", async (_case, pidText, startedText) => {
    fs.writeFileSync(path.join(tmp.dir, "userstats.pid"), pidText);
    if (startedText !== undefined)
      fs.writeFileSync(path.join(tmp.dir, "userstats.started"), startedText);
    const { stdout } = await run("node", [script], { env });
    expect(stdout).toMatch(/userstats\.sqlite: 0 of 0 events changed/);
  });
});
