// Reading real files (temp folder): NDJSON, the original CSV format, flat CSV, and broken rows.
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EventFileError, formatOf, readEventFile, type FileRecord } from "../../lib/event-file";
import { tempDir } from "../helpers/tmp";

const tmp = tempDir();
afterAll(() => tmp.remove());

async function readAll(name: string, content: string): Promise<FileRecord[]> {
  const file = path.join(tmp.dir, name);
  fs.writeFileSync(file, content);
  const out: FileRecord[] = [];
  for await (const r of readEventFile(file)) out.push(r);
  return out;
}

/** Each record's line, and its event id or "error". */
const outcomes = (records: FileRecord[]): [number, string][] =>
  records.map(r => [r.line, r.event === undefined ? "error" : (r.event as { id: string }).id]);

/** Each record's line and event id. */
const linesAndIds = (records: FileRecord[]): [number, string][] =>
  records.map(r => [r.line, (r.event as { id: string }).id]);

describe("readEventFile", () => {
  it("reads the original CSV format with Python dict addresses and naive timestamps", async () => {
    const csv = [
      "id,address,inserted_at",
      `278ab326-52d4-4d4b-9d4a-1c2e3f4a5b6c,"{'city': 'Fultondale ', 'state': 'Alabama ', 'country': 'US', 'postCode': '35068 '}",2019-05-07 17:33:20.592`,
      `5b6f0d2e-1111-4222-8333-944455556666,"{'city': 'Bloomfield, NJ', 'state': None, 'country': 'USA', 'postCode': 7003}",2019-05-07 17:34:00`,
      `6c7a1e3f-2222-4333-9444-a55566667777,"{""city"": ""Holland"", ""state"": ""MI""}",2019-05-08 08:00:00`,
    ].join("\n");
    const records = await readAll("original.csv", csv + "\n");
    expect(records).toEqual([
      {
        line: 2,
        event: {
          id: "278ab326-52d4-4d4b-9d4a-1c2e3f4a5b6c",
          address: { city: "Fultondale ", state: "Alabama ", country: "US", postCode: "35068 " },
          datetime: "2019-05-07 17:33:20.592",
        },
      },
      {
        line: 3,
        event: {
          id: "5b6f0d2e-1111-4222-8333-944455556666",
          address: { city: "Bloomfield, NJ", state: null, country: "USA", postCode: 7003 },
          datetime: "2019-05-07 17:34:00",
        },
      },
      {
        line: 4,
        event: {
          id: "6c7a1e3f-2222-4333-9444-a55566667777",
          address: { city: "Holland", state: "MI" },
          datetime: "2019-05-08 08:00:00",
        },
      },
    ]);
  });

  it("reports rows with broken quoting or a bad address on their own and reads on", async () => {
    const csv = [
      "id,address,inserted_at",
      `a1,"{'city': 'Ok'}",2019-05-07 17:33:20`,
      `a2,"{'city': 'Broken}",2019-05-07 17:33:20`,
      `a3,"{'city': 'Stray'}"x,2019-05-07`,
      `a4,"{'city': 'Fine'}",2019-05-07 17:33:20`,
      `a5,{'city': "Unquoted cell"},2019-05-07 17:33:20`,
    ].join("\n");
    const records = await readAll("broken.csv", csv + "\n");
    const good = records
      .filter(r => r.event !== undefined)
      .map(r => (r.event as { id: string }).id);
    // A stray quote sinks its own row only; a quote inside an unquoted cell is read as written.
    expect(good).toEqual(["a1", "a4", "a5"]);
    const bad = records.filter(r => r.error !== undefined);
    expect(bad.map(r => r.line)).toEqual([3, 4]);
    for (const r of bad) expect(r.error).toMatch(/Python dict/);
  });

  it("reads the rows after a quote that is never closed again on their own, losing none", async () => {
    const row = (id: string, city: string) => `${id},"{'city': '${city}'}",2019-05-07 17:33:20`;
    const csv = [
      "id,address,inserted_at",
      row("a1", "Ok"),
      `not,a,valid,line,"unterminated`,
      row("a2", "Next"),
      row("a3", "After"),
      `a4,"{'city': 'Open at the end}",2019-05-07 17:33:20`,
      row("a5", "Swallowed"),
      "",
      row("a6", "Fine"),
      // Never closed until the end of the file.
      `a7,"{'city': 'Unclosed'},2019-05-07 17:33:20`,
      row("a8", "Last"),
    ].join("\n");
    const records = await readAll("unclosed.csv", csv + "\n");
    expect(outcomes(records)).toEqual([
      [2, "a1"],
      [3, "error"],
      [4, "a2"],
      [5, "a3"],
      [6, "error"],
      [7, "a5"],
      [9, "a6"],
      [10, "error"],
      [11, "a8"],
    ]);
    expect(records[1]?.error).toMatch(
      /^unreadable CSV row: .*\(lines 3–4 read as one row: a quote opened on line 3 is not closed on it; the lines after it are read on their own\)$/,
    );
  });

  it("reads the rows a flat CSV row swallowed with an open quote again on their own", async () => {
    // The quote opened in f2's city is closed by f4's: csv-parse reads lines 3–5 as one row of six
    // cells, which would be an event with a city of three lines, and f3 and f4 would be lost.
    const csv = [
      "id,city,state,country,postCode,datetime",
      "f1,Houston,TX,US,77002,2026-11-27T08:00:00Z",
      'f2,"Dallas,TX,US,75201,2026-11-27T08:00:00Z',
      "f3,Austin,TX,US,73301,2026-11-27T08:00:00Z",
      'f4,"San Antonio",TX,US,78205,2026-11-27T08:00:00Z',
      "f5,Waco,TX,US,76701,2026-11-27T08:00:00Z",
    ].join("\n");
    const records = await readAll("flat-open.csv", `${csv}\n`);
    expect(outcomes(records)).toEqual([
      [2, "f1"],
      [3, "error"],
      [4, "f3"],
      [5, "f4"],
      [6, "f5"],
    ]);
    expect(records[1]?.error).toBe(
      "unreadable CSV row (lines 3–5 read as one row: a quote opened on line 3 is not closed on it; the lines after it are read on their own)",
    );
  });

  it("keeps a good row of several lines that comes right after a row with an open quote", async () => {
    const csv = [
      "id,city,state,country,postCode,datetime",
      'h1,"Dallas,TX,US,75201,2026-11-27T08:00:00Z,extra',
      '"h2","El',
      'Paso",TX,US,79901,2026-11-27T08:00:00Z',
      "h3,Waco,TX,US,76701,2026-11-27T08:00:00Z",
    ].join("\n");
    const records = await readAll("open-then-multiline.csv", `${csv}\n`);
    expect(outcomes(records)).toEqual([
      [2, "error"],
      [3, "h2"],
      [5, "h3"],
    ]);
  });

  it("makes no event of two rows that each open a quote (only relaxed quoting reads them as one)", async () => {
    // Each row's quote is "closed" by the next row's: csv-parse reads rows 2–3 and 4–5 as rows of six
    // cells, with a city of two lines; they are errors, not two events made of four rows.
    const open = (id: string) => `${id},"Open,TX,US,1,2026-11-27T08:00:00Z`;
    const csv = [
      "id,city,state,country,postCode,datetime",
      open("q1"),
      open("q2"),
      open("q3"),
      open("q4"),
    ];
    const records = await readAll("all-open.csv", `${csv.join("\n")}\n`);
    expect(records.filter(r => r.event !== undefined)).toEqual([]);
    expect(records.map(r => [r.line, r.error])).toEqual([
      [2, "unreadable CSV row (lines 2–3 read as one row)"],
      [4, "unreadable CSV row (lines 4–5 read as one row)"],
    ]);
  });

  it("keeps a row of several lines after a blank CRLF line, and one whose later line looks like a row", async () => {
    const csv = [
      "id,city,state,country,postCode,datetime",
      "a1,Waco,TX,US,1,2026-01-01T00:00:00Z",
      "",
      '"a2","Fort',
      'Worth",TX,US,76101,2026-01-01T00:00:00Z',
      // Read alone, the second line would be a row of six cells.
      'a3,"Fort',
      'Worth, East",TX,US,76101,2026-01-01T00:00:00Z',
    ].join("\r\n");
    const records = await readAll("crlf-blank.csv", `${csv}\r\n`);
    expect(records.map(r => [r.line, r.error ?? (r.event as { id: string }).id])).toEqual([
      [2, "a1"],
      [4, "a2"],
      [6, "a3"],
    ]);
  });

  it("numbers the rows after a quote still open at the end of a CRLF file right, blank lines after them or not", async () => {
    const csv = [
      "id,city,state,country,postCode,datetime",
      'a1,"Open,TX,US,1,2026-01-01T00:00:00Z',
      "a2,Waco,TX,US,76701,2026-01-01T00:00:00Z",
      "a3,Reno,NV,US,89501,2026-01-01T00:00:00Z",
    ].join("\r\n");
    const records = await readAll("crlf-open-end.csv", `${csv}\r\n\r\n\r\n`);
    expect(outcomes(records)).toEqual([
      [2, "error"],
      [3, "a2"],
      [4, "a3"],
    ]);
    for (const end of ["", "\n", "\n\n"]) {
      const lf = await readAll("lf-open-end.csv", `${csv.replaceAll("\r\n", "\n")}${end}`);
      expect(
        lf.map(r => r.line),
        JSON.stringify(end),
      ).toEqual([2, 3, 4]);
    }
  });

  it("reads a quoted cell of megabytes over many lines as it is written", async () => {
    const huge = `"${"x\n".repeat(4_500_000)}"`;
    const csv = [
      "id,city,state,country,postCode,datetime",
      `h1,${huge},TX,US,1,2026-01-01T00:00:00Z`,
    ];
    const records = await readAll(
      "huge-cell.csv",
      `${csv.join("\n")}\nh2,Waco,TX,US,1,2026-01-01T00:00:00Z\n`,
    );
    expect(outcomes(records)).toEqual([
      [2, "h1"],
      [4_500_003, "h2"],
    ]);
  });

  it("reports a row of several lines that is no event, and swallowed no row, as one error", async () => {
    const csv = [
      "id,address,inserted_at",
      `a1,"{'city': 'Two`,
      `lines'}",nope`,
      `a2,"{'city': 'Ok'}",2019-05-07 17:33:20`,
    ].join("\n");
    const records = await readAll("two-lines.csv", `${csv}\n`);
    expect(records.map(r => [r.line, r.error ?? "ok"])).toEqual([
      [
        2,
        expect.stringMatching(
          /^address is neither JSON nor a Python dict: .* \(lines 2–3 read as one row\)$/,
        ),
      ],
      [4, "ok"],
    ]);
  });

  it("counts a CRLF inside a quoted cell as one line break (Windows files)", async () => {
    const csv = [
      "id,city,state,country,postCode,datetime",
      '"g1","San',
      'Antonio",TX,US,78205,2026-11-27T08:00:00Z',
      "g2,Austin,TX,US,73301,2026-11-27T08:00:00Z,extra",
      '"g3","El',
      'Paso",TX,US,79901,2026-11-27T08:00:00Z',
      '"g4","Fort',
      'Worth",TX,US,76101',
      "g5,Waco,TX,US,76701,2026-11-27T08:00:00Z",
    ].join("\r\n");
    const records = await readAll("crlf.csv", `${csv}\r\n`);
    expect(records.map(r => [r.line, r.error ?? (r.event as { id: string }).id])).toEqual([
      [2, "g1"],
      [4, "unreadable CSV row: Invalid Record Length: columns length is 6, got 7"],
      [5, "g3"],
      [
        7,
        "unreadable CSV row: Invalid Record Length: columns length is 6, got 5 (lines 7–8 read as one row)",
      ],
      [9, "g5"],
    ]);
  });

  it("names the inserted_at column when its value is missing or no date-time", async () => {
    const csv = [
      "id,address,inserted_at",
      `a1,"{'city': 'Ok'}",`,
      `a2,"{'city': 'Ok'}",yesterday`,
      `a3,"{'city': 'Ok'}",2019-05-07 17:33:20`,
    ].join("\n");
    const records = await readAll("dates.csv", csv + "\n");
    expect(records.map(r => [r.line, r.error ?? "ok"])).toEqual([
      [2, "inserted_at is empty"],
      [3, 'inserted_at "yesterday" is not a date-time (ISO-8601; no offset means UTC)'],
      [4, "ok"],
    ]);
  });

  it("reads flat CSV columns", async () => {
    const records = await readAll(
      "flat.csv",
      "id,city,state,country,postCode,datetime\nb1,Houston,TX,,77002,2026-11-27T08:00:00Z\n",
    );
    expect(records).toEqual([
      {
        line: 2,
        event: {
          id: "b1",
          address: { city: "Houston", state: "TX", country: null, postCode: "77002" },
          datetime: "2026-11-27T08:00:00Z",
        },
      },
    ]);
  });

  it("refuses a CSV with an unknown header as a whole, at its first line", async () => {
    await expect(readAll("other.csv", "name,age\nann,3\n")).rejects.toThrow(EventFileError);
    await expect(readAll("other.csv", "name,age\nann,3\n")).rejects.toThrow(
      /the CSV header must be .*; line 1 is "name,age"/,
    );
    // An address column without a time column is not enough either.
    await expect(readAll("no-time.csv", "id,address\nx,{}\n")).rejects.toThrow(EventFileError);
  });

  it("takes header names with spaces around them", async () => {
    const records = await readAll(
      "spaced.csv",
      ` id , address , inserted_at\nu1,"{'city': 'Reno'}",2019-05-07 17:33:20\n`,
    );
    expect(records).toEqual([
      {
        line: 2,
        event: { id: "u1", address: { city: "Reno" }, datetime: "2019-05-07 17:33:20" },
      },
    ]);
  });

  it("reads NDJSON, skipping blank lines and reporting lines that are not JSON", async () => {
    const records = await readAll("events.ndjson", '{"id":"c1"}\n\nnot json\n{"id":"c2"}\n');
    expect(records).toEqual([
      { line: 1, event: { id: "c1" } },
      { line: 3, error: expect.stringMatching(/^not JSON/) as unknown },
      { line: 4, event: { id: "c2" } },
    ]);
  });

  it("reads an NDJSON file that starts with a byte order mark, first event included", async () => {
    const records = await readAll("bom.ndjson", '\uFEFF{"id":"d1"}\r\n{"id":"d2"}\r\n');
    expect(records).toEqual([
      { line: 1, event: { id: "d1" } },
      { line: 2, event: { id: "d2" } },
    ]);
  });

  it("gives a record with a line break in a quoted cell the line where it starts", async () => {
    const csv = [
      "id,city,state,country,postCode,datetime",
      "e1,Houston,TX,US,77002,2026-11-27T08:00:00Z",
      '"e2","San\nAntonio",TX,US,78205,2026-11-27T08:00:00Z',
      "e3,Austin,TX,US,73301,2026-11-27T08:00:00Z",
    ].join("\n");
    const records = await readAll("multiline.csv", `${csv}\n`);
    expect(linesAndIds(records)).toEqual([
      [2, "e1"],
      [3, "e2"],
      [5, "e3"],
    ]);
  });

  it("counts the blank lines of a CSV in each record's line", async () => {
    const csv = [
      "id,city,state,country,postCode,datetime",
      "",
      "",
      "e1,Houston,TX,US,77002,2026-11-27T08:00:00Z",
      "",
      "e2,Austin,TX,US,73301,2026-11-27T08:00:00Z",
      "e3,Dallas,TX,US,75201,2026-11-27T08:00:00Z",
    ].join("\n");
    const records = await readAll("blank-lines.csv", `${csv}\n`);
    expect(linesAndIds(records)).toEqual([
      [4, "e1"],
      [6, "e2"],
      [7, "e3"],
    ]);
  });

  it("reports every one of many unreadable rows once, in file order, then the valid row after them", async () => {
    const bad = Array.from({ length: 3000 }, (_, i) => `x${i},"{'city': 'A'}",2019-05-07,extra`);
    const records = await readAll(
      "many-bad.csv",
      ["id,address,inserted_at", ...bad, `ok,"{'city': 'B'}",2019-05-07 10:00:00`].join("\n") +
        "\n",
    );
    expect(records).toHaveLength(3001);
    expect(records.slice(0, 3000).map(r => r.line)).toEqual(bad.map((_, i) => i + 2));
    expect(records.slice(0, 3000).every(r => /unreadable CSV row/.test(r.error ?? ""))).toBe(true);
    expect(records[3000]).toMatchObject({ line: 3002, event: { id: "ok" } });
  });

  it("ends with the read error, not a crash, when the file cannot be read", async () => {
    const dir = path.join(tmp.dir, "a-folder.csv");
    fs.mkdirSync(dir);
    const read = async () => {
      for await (const _ of readEventFile(dir)) void _;
    };
    await expect(read()).rejects.toThrow(/EISDIR/);
  });

  it("guesses the format from the file name", () => {
    expect(formatOf("x.CSV")).toBe("csv");
    expect(formatOf("x.ndjson")).toBe("ndjson");
    expect(formatOf("x.jsonl")).toBe("ndjson");
  });
});
