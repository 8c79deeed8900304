/**
 * npm run sample -- <file> [--rows <n>] [--dirty <share>] [--seed <text>]
 *
 * Writes a CSV of generated users in the original system's format (id,address,inserted_at, with the
 * address as a Python dict literal and a naive UTC timestamp), a share of them realistically messy,
 * to try `npm run replay` with.
 */
import { once } from "node:events";
import fs from "node:fs";
import { parseArgs } from "node:util";
import { createUserEventGenerator } from "../lib/generator";
import { usPlaces } from "../lib/places";

const py = (v: string | number | null | undefined): string =>
  v === null || v === undefined
    ? "None"
    : typeof v === "number"
      ? String(v)
      : `'${String(v).replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

const USAGE = "usage: npm run sample -- <file> [--rows <n>] [--dirty <0..1>] [--seed <text>]";

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      rows: { type: "string", default: "10000" },
      dirty: { type: "string", default: "0.3" },
      seed: { type: "string", default: "sample" },
    },
  });
  const file = positionals[0];
  const rows = Number(values.rows);
  const dirty = Number(values.dirty);
  const problems = [
    file === undefined ? "the file to write is missing" : undefined,
    Number.isInteger(rows) && rows >= 1
      ? undefined
      : `--rows must be a whole number from 1, got "${values.rows}"`,
    dirty >= 0 && dirty <= 1
      ? undefined
      : `--dirty must be a share from 0 to 1, got "${values.dirty}"`,
  ].filter(p => p !== undefined);
  if (file === undefined || problems.length > 0) {
    for (const problem of problems) console.error(`error: ${problem}`);
    console.error(USAGE);
    process.exit(2);
  }
  const generator = createUserEventGenerator(usPlaces(), { dirtyShare: dirty });
  const out = fs.createWriteStream(file);
  out.write("id,address,inserted_at\n");
  const start = Date.parse("2019-05-01T00:00:00Z");
  for (let i = 0; i < rows; i += 1000) {
    // The file's buffer is full: wait until it drained (memory does not grow with --rows).
    if (out.writableNeedDrain) await once(out, "drain");
    const events = generator.generate(values.seed, i, Math.min(1000, rows - i));
    events.forEach((e, k) => {
      const a = e.address;
      const address = `{'city': ${py(a.city)}, 'state': ${py(a.state)}, 'country': ${py(a.country)}, 'postCode': ${py(a.postCode)}}`;
      // One event every 37 seconds from May 1st, 2019, written as the original did (naive, UTC).
      const at = new Date(start + (i + k) * 37_000)
        .toISOString()
        .replace("T", " ")
        .replace("Z", "");
      out.write(`${e.id},"${address.replace(/"/g, '""')}",${at}\n`);
    });
  }
  out.end();
  await once(out, "finish");
  console.log(`Wrote ${rows} rows to ${file} (about ${Math.round(dirty * 100)} % messy).`);
}

// A bad option or a file that cannot be written ends with one line saying so, not an error dump.
main().catch((err: unknown) => {
  const code = (err as { code?: unknown }).code;
  const badOption = typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_");
  console.error(`sample: ${err instanceof Error ? err.message : String(err)}`);
  if (badOption) console.error(USAGE);
  process.exit(badOption ? 2 : 1);
});
