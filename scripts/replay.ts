/**
 * npm run replay -- <file> [--rate <events/s>] [--batch <n>] [--url <gateway>] [--format ndjson|csv]
 *   [--rejected <out.ndjson>]
 *
 * Streams a file of user events (NDJSON, or CSV in the original system's format) to the running
 * system through POST /events, with a progress bar and a closing summary. Re-sending a file changes
 * no count. Timestamps without an offset (the original CSV's inserted_at) are taken as UTC. The
 * summary shows the first 20 rejected rows; --rejected writes every one of them (line, reasons), as
 * they are found.
 */
import fs from "node:fs";
import { parseArgs } from "node:util";
import { SingleBar, Presets } from "cli-progress";
import { EventFileError, formatOf, type FileFormat } from "../lib/event-file";
import { EVENTS_PER_REQUEST_MAX } from "../lib/ingest";
import { replayFile, ReplayError } from "../lib/replay";

const USAGE =
  "usage: npm run replay -- <file> [--rate <events/s>] [--batch <n>] [--url <gateway>] [--format ndjson|csv] [--rejected <out.ndjson>]";

function fail(message: string): never {
  console.error(`replay: ${message}\n${USAGE}`);
  process.exit(2);
}

/** The command line; an unknown option or one without its value ends with usage, not a stack trace. */
function args() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        rate: { type: "string" },
        batch: { type: "string" },
        url: {
          type: "string",
          // This script's own setting (README: Configuration), not a service's.
          default: process.env.REPLAY_URL ?? `http://127.0.0.1:${process.env.HTTP_PORT ?? "8000"}`,
        },
        format: { type: "string" },
        rejected: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_"))
      fail((err as Error).message);
    throw err;
  }
}

async function main(): Promise<void> {
  const { values, positionals } = args();
  if (values.help === true) {
    console.log(USAGE);
    return;
  }
  const file = positionals[0];
  if (file === undefined || positionals.length > 1) fail("give exactly one file");
  if (!fs.existsSync(file)) fail(`no such file: ${file}`);
  if (!fs.statSync(file).isFile()) fail(`not a file: ${file}`);
  const positive = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) fail(`--${name} must be a positive number`);
    return n;
  };
  const rate = positive("rate", values.rate);
  const batchSize = positive("batch", values.batch);
  // More is refused whole by the gateway (422 TOO_MANY_EVENTS); a fraction is no batch.
  if (
    batchSize !== undefined &&
    (!Number.isInteger(batchSize) || batchSize > EVENTS_PER_REQUEST_MAX)
  )
    fail(
      `--batch must be a whole number from 1 to ${EVENTS_PER_REQUEST_MAX.toLocaleString("en-US")}`,
    );
  const format = (values.format ?? formatOf(file)) as FileFormat;
  if (format !== "ndjson" && format !== "csv") fail("--format must be ndjson or csv");

  const size = fs.statSync(file).size;
  const bar = new SingleBar(
    {
      format:
        "replay |{bar}| {percentage}% | {read} rows, {accepted} accepted, {rejected} rejected | {rate} ev/s{note}",
      hideCursor: true,
      // Into a file or a pipe (CI, `| tee`): a line every 5 s instead of a bar that redraws.
      noTTYOutput: true,
      notTTYSchedule: 5000,
    },
    Presets.shades_classic,
  );
  const started = Date.now();
  // Every rejected row goes to the --rejected file as soon as it is known (one JSON per line).
  let rejectedFd: number | undefined;
  try {
    if (values.rejected !== undefined) rejectedFd = fs.openSync(values.rejected, "w");
  } catch (err) {
    fail(`cannot write --rejected ${values.rejected}: ${(err as Error).message}`);
  }
  bar.start(size, 0, { read: 0, accepted: 0, rejected: 0, rate: 0, note: "" });
  // Ctrl-C (or SIGTERM) ends the replay where it is, with the cursor back and what was done so far.
  let accepted = 0;
  const interrupted = (signal: NodeJS.Signals): void => {
    bar.stop();
    if (rejectedFd !== undefined) fs.closeSync(rejectedFd);
    // A batch on its way when the signal came may be stored too: what was answered is a floor.
    console.error(
      `\nreplay interrupted (${signal}): at least ${accepted} events accepted so far; sending the ` +
        "file again is harmless, events already stored change no count.",
    );
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    const summary = await replayFile({
      file,
      url: values.url,
      format,
      rate,
      batchSize,
      onRejection:
        rejectedFd === undefined
          ? undefined
          : r => fs.writeSync(rejectedFd, `${JSON.stringify(r)}\n`),
      // A wait for the system shows on the bar until the next batch goes through.
      // Without a terminal, each wait is a line of its own (the bar's lines come every 5 s).
      onRetry: r => {
        const note = `${values.url} ${r.reason}${r.status === undefined ? "" : ` (${r.status})`}, retrying in ${Math.ceil(r.waitMs / 1000)} s`;
        bar.update({ note: ` | ${note}` });
        if (process.stderr.isTTY !== true) console.error(`replay: ${note}`);
      },
      onProgress: p => {
        accepted = p.accepted;
        bar.update(Math.min(p.bytesRead, size), {
          read: p.read,
          accepted: p.accepted,
          rejected: p.rejected,
          rate: Math.round(p.accepted / Math.max((Date.now() - started) / 1000, 0.001)),
          note: "",
        });
      },
    });
    bar.stop();
    console.log(
      `\nReplayed ${file}: ${summary.read} rows read, ${summary.accepted} accepted, ${summary.rejected} rejected, ` +
        `${summary.batches} batches in ${summary.seconds.toFixed(1)} s (${Math.round(summary.accepted / Math.max(summary.seconds, 0.001))} events/s).`,
    );
    if (summary.rejections.length > 0) {
      console.log("Rejected rows (line: reasons):");
      for (const r of summary.rejections.slice(0, 20))
        console.log(`  ${r.line}: ${r.errors.join("; ")}`);
      if (summary.rejected > 20)
        console.log(
          `  … and ${summary.rejected - 20} more${values.rejected === undefined ? " (--rejected <file> writes them all)" : ""}`,
        );
    }
    if (values.rejected !== undefined)
      console.log(`Every rejected row (${summary.rejected}) written to ${values.rejected}.`);
  } catch (err) {
    bar.stop();
    if (err instanceof ReplayError || err instanceof EventFileError) {
      console.error(`\nreplay stopped: ${err.message}`);
      process.exit(1);
    }
    throw err;
  } finally {
    // The replay is over: a signal from here on ends the process as usual, not the replay.
    process.off("SIGINT", interrupted).off("SIGTERM", interrupted);
    if (rejectedFd !== undefined) fs.closeSync(rejectedFd);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
