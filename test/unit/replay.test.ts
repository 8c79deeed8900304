// replayFile against a real file and a real local HTTP peer standing in for POST /events (the
// replay through the real system is in test/integration/messy-data.test.ts).
import { execFile, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../lib/paths";
import { freePort } from "../helpers/net";
import { REJECTIONS_KEPT, replayFile, ReplayError, type RowError } from "../../lib/replay";
import { tempDir } from "../helpers/tmp";

const tmp = tempDir();
let server: http.Server;
let url: string;
/** The number of NDJSON lines in each POST the peer took. */
const posts: number[] = [];
/** Bodies longer than this get 413, as the gateway answers past HTTP_BODY_LIMIT_BYTES. */
let bodyLimit = Infinity;
/** The next this many POSTs get 429, as the gateway answers past its rate limit. */
let busy = 0;
/** Rejected events listed in an answer (the gateway lists 1,000); events with "bad" are rejected. */
let listed = Infinity;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      if (busy > 0) {
        busy--;
        res.writeHead(429, { "Content-Type": "application/json", "Retry-After": "1" });
        res.end(JSON.stringify({ error: { type: "RATE_LIMITED", message: "slow down" } }));
        return;
      }
      if (body.length > bodyLimit) {
        res.writeHead(413, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ error: { type: "PAYLOAD_TOO_LARGE", message: "too large" } }));
        return;
      }
      const lines = body.split("\n").filter(l => l !== "");
      posts.push(lines.length);
      const rejected = lines.flatMap((l, index) =>
        (JSON.parse(l) as { bad?: boolean }).bad === true
          ? [{ index, errors: [{ field: "bad", type: "bad", message: "bad event" }] }]
          : [],
      );
      res.writeHead(202, { "Content-Type": "application/json" });
      res.end(
        JSON.stringify({
          accepted: lines.length - rejected.length,
          rejected: rejected.slice(0, listed),
          rejectedCount: rejected.length,
        }),
      );
    });
  });
  await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise(resolve => server.close(resolve));
  tmp.remove();
});

const write = (name: string, lines: string[]): string => {
  const file = path.join(tmp.dir, name);
  fs.writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
};
const events = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ id: `e${i}` }));

describe("replayFile", () => {
  it("keeps the first rejected rows by line in its summary and hands every one to onRejection", async () => {
    const file = write("bad.csv", [
      "id,address,inserted_at",
      ...Array.from({ length: 250 }, (_, i) => `n${i},not an address,2019-05-07 17:33:20`),
      `ok,"{'city': 'Reno'}",2019-05-07 17:33:20`,
    ]);
    const seen: RowError[] = [];
    const summary = await replayFile({ file, url, onRejection: r => seen.push(r) });
    expect(summary).toMatchObject({ read: 251, rejected: 250, accepted: 1, batches: 1 });
    expect(seen.map(r => r.line)).toEqual(Array.from({ length: 250 }, (_, i) => i + 2));
    expect(summary.rejections).toHaveLength(REJECTIONS_KEPT);
    expect(summary.rejections.map(r => r.line)).toEqual(
      Array.from({ length: REJECTIONS_KEPT }, (_, i) => i + 2),
    );
  });

  it("sends the lines after the last rejection the gateway listed again, to learn the rest", async () => {
    posts.length = 0;
    listed = 4;
    try {
      // Lines 1, 4, 7, … are bad: 9 of 25, in one batch; the peer lists 4 of them at a time.
      const lines = Array.from({ length: 25 }, (_, i) =>
        JSON.stringify(i % 3 === 0 ? { id: `b${i}`, bad: true } : { id: `g${i}` }),
      );
      const seen: RowError[] = [];
      const summary = await replayFile({
        file: write("many-bad.ndjson", lines),
        url,
        onRejection: r => seen.push(r),
      });
      expect(summary).toMatchObject({ read: 25, accepted: 16, rejected: 9, sent: 25 });
      expect(seen.map(r => r.line)).toEqual([1, 4, 7, 10, 13, 16, 19, 22, 25]);
      expect(seen[0]?.errors).toEqual(["bad event"]);
      // Lines 1–25, then after line 10 (the 4th listed), then after line 22 (the 8th).
      expect(posts).toEqual([25, 15, 3]);
    } finally {
      listed = Infinity;
    }
  });

  it("sends at most 100,000 events per batch, the most the gateway takes in a request", async () => {
    posts.length = 0;
    const file = write("big-batch.ndjson", events(100_005));
    const summary = await replayFile({ file, url, batchSize: 150_000 });
    expect(summary).toMatchObject({ read: 100_005, accepted: 100_005, batches: 2 });
    expect(posts).toEqual([100_000, 5]);
  });

  it("stops when the gateway counts rejected events without listing any", async () => {
    listed = 0;
    try {
      const lines = [JSON.stringify({ id: "b", bad: true })];
      await expect(replayFile({ file: write("unlisted.ndjson", lines), url })).rejects.toThrow(
        /counted 1 rejected events without listing any/,
      );
    } finally {
      listed = Infinity;
    }
  });

  it.each([
    ["empty.ndjson", "", /^.*empty\.ndjson holds no rows, so no events$/],
    ["header-only.csv", "id,city,state,country,postCode,datetime\n", /holds no rows/],
    [
      "readme.md",
      "# Title\n\nSome text.\n",
      /^no row of .*readme\.md reads as NDJSON events \(line 1: not JSON: .*\), so nothing was sent$/,
    ],
    [
      "array.json",
      '[{"id":"a"},{"id":"b"}]\n',
      /\(line 1: a JSON array, not an event: NDJSON is one event per line\), so nothing was sent; it looks like one JSON array, and replay reads NDJSON, one event per line \(`jq -c '\.\[\]' <file>` writes that\)$/,
    ],
    [
      "pretty.json",
      '[\n  {\n    "id": "a"\n  }\n]\n',
      /\(line 1: not JSON: .*\), so nothing was sent; it looks like one JSON array/,
    ],
  ])(
    "stops with what is wrong when %s gives nothing to send, sending nothing",
    async (name, text, message) => {
      posts.length = 0;
      const file = path.join(tmp.dir, name);
      fs.writeFileSync(file, text);
      await expect(replayFile({ file, url })).rejects.toThrow(message);
      await expect(replayFile({ file, url })).rejects.toThrow(ReplayError);
      expect(posts).toEqual([]);
    },
  );

  it("says when it read events and could send none of them", async () => {
    bodyLimit = 10;
    try {
      const file = write("all-large.ndjson", events(3));
      await expect(replayFile({ file, url })).rejects.toThrow(
        /^none of the 3 events of .*all-large\.ndjson could be sent \(line 1: the event alone is larger than the gateway takes/,
      );
    } finally {
      bodyLimit = Infinity;
    }
  });

  it("rejects a row nested too deeply to write back as JSON, and sends the others", async () => {
    posts.length = 0;
    const deep = `${"[".repeat(20_000)}${"]".repeat(20_000)}`;
    const lines = [...events(2), `{"id":"deep","address":{"x":${deep}}}`, ...events(2)];
    const csv = path.join(tmp.dir, "deep.csv");
    // The original format, whose address cell may hold JSON: here nested as deep.
    fs.writeFileSync(
      csv,
      `id,address,inserted_at\n` +
        `e1,"{'city': 'Austin', 'state': 'TX', 'country': 'US', 'postCode': '78701'}",2019-05-07 17:33:20.592\n` +
        `e2,"{""city"": ${deep}}",2019-05-07 17:33:20.592\n`,
    );
    const summary = await replayFile({ file: write("deep.ndjson", lines), url });
    expect(summary).toMatchObject({ read: 5, sent: 4, accepted: 4, rejected: 1 });
    expect(summary.rejections).toEqual([
      {
        line: 3,
        errors: [expect.stringMatching(/^the event cannot be sent as JSON \(.*stack/) as unknown],
      },
    ]);
    // A CSV cell that reads as JSON nested as deep: the same.
    const fromCsv = await replayFile({ file: csv, url });
    expect(fromCsv).toMatchObject({ read: 2, sent: 1, rejected: 1 });
    expect(fromCsv.rejections).toEqual([
      {
        line: 3,
        errors: [expect.stringMatching(/^the event cannot be sent as JSON \(.*stack/) as unknown],
      },
    ]);
  });

  it("sends at most a second's worth of events per batch under --rate", async () => {
    posts.length = 0;
    const summary = await replayFile({ file: write("rate.ndjson", events(40)), url, rate: 20 });
    expect(summary).toMatchObject({ read: 40, accepted: 40, batches: 2 });
    expect(posts).toEqual([20, 20]);
  });

  it("sends a batch the gateway finds too large again in halves, and rejects only an event too large alone", async () => {
    posts.length = 0;
    bodyLimit = 200;
    try {
      const lines = events(40);
      lines.splice(10, 0, JSON.stringify({ id: "huge", pad: "x".repeat(300) }));
      const summary = await replayFile({ file: write("large.ndjson", lines), url });
      expect(summary).toMatchObject({ read: 41, accepted: 40, rejected: 1 });
      expect(summary.rejections).toEqual([
        { line: 11, errors: [expect.stringMatching(/larger than the gateway takes/) as unknown] },
      ]);
      expect(posts.reduce((a, b) => a + b, 0)).toBe(40);
      expect(Math.max(...posts)).toBeLessThan(40);
    } finally {
      bodyLimit = Infinity;
    }
  });

  it("says when and why it waits for a busy gateway, then sends the batch again", async () => {
    posts.length = 0;
    busy = 2;
    const retries: unknown[] = [];
    const summary = await replayFile({
      file: write("busy.ndjson", events(3)),
      url,
      onRetry: r => retries.push(r),
    });
    expect(summary).toMatchObject({ read: 3, accepted: 3, batches: 1 });
    expect(posts).toEqual([3]);
    expect(retries).toEqual([
      { status: 429, reason: "rate limited", attempt: 1, waitMs: 1000 },
      { status: 429, reason: "rate limited", attempt: 2, waitMs: 1000 },
    ]);
  });

  it("refuses a gateway address that is not an http URL before reading anything", async () => {
    const file = write("one.ndjson", events(1));
    await expect(replayFile({ file, url: "localhost:8000" })).rejects.toThrow(
      /not a(n http\(s\))? URL: localhost:8000/,
    );
    await expect(replayFile({ file, url: "ftp://127.0.0.1/" })).rejects.toThrow(ReplayError);
  });

  it("says why a gateway cannot be reached", async () => {
    const file = write("two.ndjson", events(2));
    const closed = `http://127.0.0.1:${await freePort()}`;
    await expect(replayFile({ file, url: closed, maxAttempts: 1 })).rejects.toThrow(
      /cannot reach .* after 1 attempts: fetch failed: .*ECONNREFUSED/,
    );
  });
});

describe("replayFile and a gateway address fetch will never use", () => {
  it("says so at once instead of retrying", async () => {
    const file = write("bad-port.ndjson", events(1));
    const retries: unknown[] = [];
    // Port 9 is one fetch refuses ("bad port"): no wait mends that.
    await expect(
      replayFile({ file, url: "http://127.0.0.1:9", onRetry: r => retries.push(r) }),
    ).rejects.toThrow(/^cannot send to http:\/\/127\.0\.0\.1:9: fetch failed: bad port$/);
    expect(retries).toEqual([]);
  });
});

describe("npm run replay", () => {
  /** The script as a process whose output is a pipe, not a terminal; `onStderr` sees what it says. */
  const start = (args: string[], onStderr?: (text: string, child: ChildProcess) => void) => {
    const child = execFile(
      process.execPath,
      ["--import", "tsx", path.join(projectRoot(), "scripts/replay.ts"), ...args],
      { cwd: projectRoot() },
    );
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
      onStderr?.(stderr, child);
    });
    return new Promise<{ code: number | null; signal: string | null; stderr: string }>(resolve =>
      child.on("close", (code, signal) => resolve({ code, signal, stderr })),
    );
  };
  const replay = (...args: string[]) => start(args);

  it.each([
    [["--bogus", "x.ndjson"], /Unknown option '--bogus'/],
    [["x.ndjson", "--rejected"], /'--rejected <value>' argument missing/],
    [["--rate", "-5", "x.ndjson"], /'--rate' argument is ambiguous/],
    [["--rate=-5", "package.json"], /--rate must be a positive number/],
    [["--batch=100001", "package.json"], /--batch must be a whole number from 1 to 100,000/],
    [["--batch=0.5", "package.json"], /--batch must be a whole number from 1 to 100,000/],
    [[], /give exactly one file/],
    [
      ["package.json", "--rejected", "/nonexistent/dir/r.ndjson"],
      /cannot write --rejected .*ENOENT/,
    ],
  ])("answers %j with what is wrong and the usage, without a stack trace", async (args, why) => {
    const { code, stderr } = await replay(...args);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^replay: /);
    expect(stderr).toMatch(why);
    expect(stderr).toContain("usage: npm run replay --");
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it("stops at a CSV header it does not know, sending nothing, instead of rejecting every row", async () => {
    const file = write("other-header.csv", ["foo,bar,baz", "1,2,3", "4,5,6"]);
    const before = posts.length;
    const { code, stderr } = await replay(file, "--url", url);
    expect(code).toBe(1);
    expect(stderr).toContain("replay stopped: the CSV header must be id,address,inserted_at");
    expect(stderr).toContain('line 1 is "foo,bar,baz"');
    expect(posts.length).toBe(before);
  });

  it("says each wait for a busy gateway on a line of its own when its output is not a terminal", async () => {
    busy = 1;
    const { code, stderr } = await replay(write("busy.ndjson", events(3)), "--url", url);
    expect(code).toBe(0);
    expect(stderr).toContain(`replay: ${url} rate limited (429), retrying in 1 s`);
  });

  it("ends at once on SIGTERM, saying how far it got", async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    let signalled = false;
    const { code, stderr } = await start(
      [write("stopped.ndjson", events(3)), "--url", closed],
      (text, child) => {
        // Waiting for the unreachable gateway (the first wait is 0.5 s, the next ones longer).
        if (!signalled && text.includes("unreachable, retrying")) {
          signalled = true;
          child.kill("SIGTERM");
        }
      },
    );
    expect(code).toBe(143);
    expect(stderr).toMatch(/replay interrupted \(SIGTERM\): at least 0 events accepted so far/);
    expect(stderr).not.toContain("replay stopped: cannot reach");
  });
});
