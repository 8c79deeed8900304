/**
 * Keeps docs/RELIABILITY.md: each run of the fault suite or of the soak rewrites its own section
 * (between markers), leaving the other as it was.
 * Usage: node dist/scripts/reliability.js faults   (renders test-results/faults.json)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { projectRoot } from "../lib/paths";

const DOC = path.join(projectRoot(), "docs", "RELIABILITY.md");
const HEADER = `# Reliability

What the fault suite (\`make test-faults\`) and the soak (\`npm run soak\`) last showed. Both run the three
services as processes on the real RabbitMQ, Kafka and SQLite, as \`make up\` does; both rewrite their own
section of this file when they run.
`;

/** The machine a run happened on, in one line. */
export function machine(): string {
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? "CPU"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`;
}

/** Replaces (or adds) the section `name` of docs/RELIABILITY.md. */
export function updateSection(name: string, markdown: string): void {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  let doc = fs.existsSync(DOC) ? fs.readFileSync(DOC, "utf8") : HEADER;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  doc =
    i >= 0 && j > i
      ? doc.slice(0, i) + block + doc.slice(j + end.length)
      : `${doc.trimEnd()}\n\n${block}\n`;
  fs.mkdirSync(path.dirname(DOC), { recursive: true });
  fs.writeFileSync(DOC, doc);
}

function renderFaults(): void {
  const file = path.join(projectRoot(), "test-results", "faults.json");
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run make test-faults first`);
  const results = JSON.parse(fs.readFileSync(file, "utf8")) as {
    scenario: string;
    checks: string[];
    seconds: number;
  }[];
  const lines = [
    "## Fault suite",
    "",
    `Last run ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC on ${machine()}. Every scenario ingests a known set`,
    "of events and ends by comparing the report with the events every accepted job must have produced",
    "(regenerated from the job's seed and cleaned as userstats cleans them): total and every city's count.",
    "",
    ...results.flatMap(r => [
      `### ${r.scenario} (${r.seconds.toFixed(0)} s)`,
      "",
      ...r.checks.map(c => `- ${c}`),
      "",
    ]),
  ];
  updateSection("faults", lines.join("\n"));
  console.log(`docs/RELIABILITY.md: fault suite section updated (${results.length} scenarios)`);
}

if (require.main === module) {
  if (process.argv[2] === "faults") renderFaults();
  else {
    console.error("usage: node dist/scripts/reliability.js faults");
    process.exit(2);
  }
}
