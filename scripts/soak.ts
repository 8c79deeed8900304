/**
 * npm run soak [-- --minutes <n> | --seconds <n>] [--rate <requests/s>]
 *
 * A bounded soak (10 minutes by default): a mixed load of submits, reports and health checks at
 * about 1,000 requests/s on the three services as processes; samples each service's resident memory
 * and error log lines every 5 s; at the end checks that every event of every job was counted exactly
 * once, and writes the figures to docs/RELIABILITY.md. Starts Kafka if needed; stops what it started.
 */
import fs from "node:fs";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import Database from "better-sqlite3";
import {
  ensureBrokers,
  SERVICES,
  startBenchSystem,
  stopStartedKafka,
  type BenchSystem,
  type ServiceName,
} from "./bench/system";
import { machine, updateSection } from "./reliability";

const log = (m: string): void =>
  console.log(`[soak ${new Date().toISOString().slice(11, 19)}] ${m}`);

interface Sample {
  at: number;
  rss: Record<ServiceName, number>;
  errors: Record<ServiceName, number>;
}

/** ERROR lines in a service's log so far. */
function errorLines(sys: BenchSystem, name: ServiceName): number {
  const text = fs.readFileSync(path.join(sys.runDir, `${name}.log`), "utf8");
  return (text.match(/\bERROR\b/g) ?? []).length;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: "string" },
      seconds: { type: "string" },
      rate: { type: "string", default: "1000" },
    },
  });
  const seconds =
    values.seconds !== undefined ? Number(values.seconds) : Number(values.minutes ?? "10") * 60;
  const rate = Number(values.rate);
  if (!(seconds > 0) || !(rate > 0))
    throw new Error("--minutes/--seconds and --rate must be positive numbers");

  const { kafkaBrokers, startedKafka } = await ensureBrokers();
  log(`starting the services; then ${seconds} s at ~${rate} requests/s`);
  const sys = await startBenchSystem({ SEED: `soak-${Date.now()}`, LOG_LEVEL: "info" });
  const samples: Sample[] = [];
  const sample = (): void => {
    samples.push({
      at: Date.now(),
      rss: sys.rss(),
      errors: Object.fromEntries(SERVICES.map(s => [s, errorLines(sys, s)])) as Record<
        ServiceName,
        number
      >,
    });
  };
  let sampler: NodeJS.Timeout | undefined;
  try {
    sample();
    sampler = setInterval(sample, 5000);
    const result = await autocannon({
      url: sys.baseUrl,
      connections: 50,
      overallRate: rate,
      duration: seconds,
      // Each connection cycles through these: submits and reports, two to one.
      requests: [
        { method: "GET", path: "/submit/10" },
        { method: "GET", path: "/report" },
        { method: "GET", path: "/submit/10" },
        { method: "GET", path: "/report?by=state&top=10" },
        { method: "GET", path: "/jobs/00000000-0000-4000-8000-000000000000" },
        { method: "GET", path: "/report?top=20" },
      ],
    });
    clearInterval(sampler);
    sample();

    // Every job's events counted exactly once: wait until all jobs are done and the total matches.
    log("load over; waiting for every job to be produced and counted");
    const dbFile = path.join(sys.env.DATA_DIR as string, "userevents.sqlite");
    const deadline = Date.now() + 600_000;
    let jobs = { n: 0, events: 0, running: 1, failed: 0 };
    let total = -1;
    while (Date.now() < deadline) {
      const db = new Database(dbFile, { readonly: true });
      jobs = db
        .prepare(
          `SELECT COUNT(*) AS n, COALESCE(SUM(total), 0) AS events,
             COALESCE(SUM(state = 'running'), 0) AS running, COALESCE(SUM(state = 'failed'), 0) AS failed
           FROM jobs`,
        )
        .get() as typeof jobs;
      db.close();
      total = ((await (await fetch(`${sys.baseUrl}/report?top=1`)).json()) as { total: number })
        .total;
      // A failed job will never be counted in full: no use waiting for it.
      if (jobs.failed > 0 || (jobs.running === 0 && total === jobs.events)) break;
      await delay(1000);
    }
    sample();
    const exact = jobs.running === 0 && jobs.failed === 0 && total === jobs.events;

    const first = samples[0] as Sample;
    const last = samples.at(-1) as Sample;
    const afterWarmup = samples.filter(
      s => s.at - first.at >= Math.min(60_000, (seconds * 1000) / 4),
    );
    const range = (name: ServiceName, list: Sample[]) => {
      const v = list.map(s => s.rss[name]);
      return { min: Math.min(...v), max: Math.max(...v) };
    };
    const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
    const rows = SERVICES.map(s => {
      const all = range(s, samples);
      const warm = range(s, afterWarmup.length > 0 ? afterWarmup : samples);
      return `| ${s} | ${fmt(first.rss[s])} | ${fmt(all.max)} | ${fmt(warm.min)}–${fmt(warm.max)} | ${fmt(last.rss[s])} | ${last.errors[s] - first.errors[s]} |`;
    });
    const markdown = [
      "## Soak",
      "",
      `Last run ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC on ${machine()}: \`npm run soak\`, ${fmt(seconds)} s at a`,
      `target of ${fmt(rate)} requests/s (autocannon, 50 connections) cycling through \`GET /submit/10\` (twice),`,
      "`GET /report`, `GET /report?by=state&top=10`, `GET /report?top=20` and `GET /jobs/<unknown id>` (a 404, by design).",
      "",
      `- Requests: ${fmt(result.requests.total)} (${fmt(result.requests.average)}/s on average${
        result.requests.average < 0.95 * rate
          ? `, below the target: the most the services answered here over 50 connections`
          : ""
      }), latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms;`,
      `  non-2xx answers: ${fmt(result.non2xx)} (the /jobs 404s of the mix, one request in six: about ${fmt(result.requests.total / 6)}), errors: ${fmt(result.errors)}, timeouts: ${fmt(result.timeouts)}.`,
      `- Jobs: ${fmt(jobs.n)} submits of 10 users, ${fmt(jobs.events)} events; report total ${fmt(total)}: ${exact ? "every event counted exactly once" : jobs.failed > 0 ? `**${fmt(jobs.failed)} jobs failed**` : "**mismatch**"}.`,
      "",
      "| Service | RSS at start (MB) | max (MB) | after warm-up (MB) | at end (MB) | ERROR log lines |",
      "| --- | --- | --- | --- | --- | --- |",
      ...rows,
    ].join("\n");
    updateSection("soak", markdown);
    console.log(`\n${markdown}\n`);
    log("wrote docs/RELIABILITY.md");
    // The /jobs request of the mix is a 404 on purpose: one answer in six.
    if (!exact || result.errors > 0 || result.timeouts > 0) process.exitCode = 1;
  } finally {
    // Also when the load failed: a sampler left running would keep asking stopped services.
    clearInterval(sampler);
    await sys.stop().catch(err => log(`stopping the services failed: ${String(err)}`));
    if (startedKafka) await stopStartedKafka(kafkaBrokers).catch(() => undefined);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
