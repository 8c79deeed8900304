// Temporary folders for tests that write real files.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** A fresh temp folder and a function removing it. */
export function tempDir(prefix = "pipeline-unit-"): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
