/** Starting a worker thread from a module of lib/, built or (in the tests) from its TypeScript. */
import fs from "node:fs";
import path from "node:path";
import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * A worker running `lib/<name>`: the built JavaScript next to this file, or, when this file runs
 * from its TypeScript source (the tests), the source loaded through tsx.
 */
export function startWorker(name: string, options: WorkerOptions = {}): Worker {
  const js = path.join(__dirname, `${name}.js`);
  if (fs.existsSync(js)) return new Worker(js, options);
  const ts = path.join(__dirname, `${name}.ts`);
  const tsx = require.resolve("tsx/cjs/api");
  return new Worker(`require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(ts)});`, {
    ...options,
    eval: true,
  });
}
