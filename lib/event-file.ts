/**
 * Reads a file of user events, streaming, one record at a time with its line number:
 * - NDJSON: one JSON event per line;
 * - CSV in the original system's format: header `id,address,inserted_at`, where `address` is a
 *   Python dict literal (`{'city': 'Fultondale ', 'state': None, …}`) or JSON, and `inserted_at` a
 *   naive timestamp taken as UTC;
 * - CSV with flat columns: `id,city,state,country,postCode,datetime`.
 * A row that cannot be read becomes a record with an error; the rest of the file goes on.
 */
import fs from "node:fs";
import readline from "node:readline";
import { parse } from "csv-parse";
import { parse as parseSync } from "csv-parse/sync";
import { parsePyLiteral } from "./py-literal";
import { toUtcIso } from "./user-event";

export type FileFormat = "ndjson" | "csv";

export interface FileRecord {
  /** Line of the file where the record starts (from 1). */
  line: number;
  event?: unknown;
  error?: string;
}

/** The format a file name suggests (.csv → csv, anything else → ndjson). */
export function formatOf(file: string): FileFormat {
  return file.toLowerCase().endsWith(".csv") ? "csv" : "ndjson";
}

/** Parses the address column: JSON, or else a Python literal. */
export function parseAddressCell(text: string): unknown {
  const trimmed = text.trim();
  try {
    return JSON.parse(trimmed);
  } catch {
    return parsePyLiteral(trimmed);
  }
}

/** One CSV row (an object keyed by the header) as an event, or throws with the reason. */
export function csvRowToEvent(row: Record<string, string>): unknown {
  if ("address" in row) {
    let address: unknown;
    try {
      address = parseAddressCell(row.address ?? "");
    } catch (err) {
      throw new Error(`address is neither JSON nor a Python dict: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const column = row.inserted_at !== undefined ? "inserted_at" : "datetime";
    const at = row[column];
    // Said here in the file's own terms (the gateway would name the event's field, datetime).
    if (at === undefined || at.trim() === "") throw new Error(`${column} is empty`);
    if (toUtcIso(at) === undefined) {
      throw new Error(
        `${column} ${JSON.stringify(at)} is not a date-time (ISO-8601; no offset means UTC)`,
      );
    }
    return { id: row.id, address, datetime: at };
  }
  if ("city" in row) {
    const empty = (v: string | undefined): string | null =>
      v === undefined || v.trim() === "" ? null : v;
    return {
      id: row.id,
      address: {
        city: row.city,
        state: empty(row.state),
        country: empty(row.country),
        postCode: empty(row.postCode ?? row.postcode ?? row.zip),
      },
      datetime: row.datetime ?? row.inserted_at,
    };
  }
  throw new EventFileError(CSV_HEADERS);
}

const CSV_HEADERS =
  "the CSV header must be id,address,inserted_at or id,city,state,country,postCode,datetime";

/** The file as a whole cannot be read as events (a CSV header that names no known columns, say). */
export class EventFileError extends Error {
  override name = "EventFileError";
}

/** The header of a CSV file, checked once: a file with another header stops at it, not at each row. */
function csvHeader(header: string[]): string[] {
  const trimmed = header.map(h => h.trim());
  const names = new Set(trimmed);
  const known =
    names.has("id") &&
    ((names.has("address") && (names.has("inserted_at") || names.has("datetime"))) ||
      names.has("city"));
  if (!known) {
    const got = header.join(",");
    throw new EventFileError(
      `${CSV_HEADERS}; line 1 is ${JSON.stringify(got.length > 120 ? `${got.slice(0, 120)}…` : got)}`,
    );
  }
  return trimmed;
}

/** Options both readings of CSV share: the file's, and that of rows read again. */
const CSV_OPTIONS = {
  info: true,
  raw: true,
  trim: false,
  skip_empty_lines: true,
  // A row with broken quoting or the wrong number of cells is reported, not fatal. With relaxed
  // quotes a stray quote stays in the cell (the address then fails to parse, for that row only):
  // strict quoting made csv-parse lose its place and reject the next, valid row as well.
  skip_records_with_error: true,
  relax_quotes: true,
} as const;

/** A row as csv-parse hands it out with `info` and `raw`. */
interface ParsedRow {
  record: Record<string, string>;
  raw: string;
  info: { lines: number };
}

/**
 * Turns the rows csv-parse meets, in file order, into records with the line each starts on.
 * `depth` is how many times these lines are being read again (0: the file itself).
 */
class RowReader {
  // csv-parse counts a CRLF inside a quoted cell as two lines: the lines it gave too many so far.
  private extraLines = 0;
  private lastSkipped = -1;

  constructor(
    private readonly header: () => string[],
    /** Added to csv-parse's line numbers (rows read again start after the file's line 1). */
    private readonly offset = 0,
    private readonly depth = 0,
  ) {}

  /** A row's own text (raw also holds the blank lines skipped before it, and its line break) and place. */
  private place(raw: string, lastLine: number): { own: string; line: number; extra: number } {
    const own = raw.replace(/^[\r\n]+/, "").replace(/[\r\n]+$/, "");
    const extra = own.match(/\r\n/g)?.length ?? 0;
    const breaks = own.match(/\n/g)?.length ?? 0;
    return { own, line: this.offset + lastLine - this.extraLines - extra - breaks, extra };
  }

  /** A row read: its event, or why it is none (with the rows it swallowed, read again). */
  record(row: ParsedRow): FileRecord[] {
    // info.lines is the row's last line; a quoted cell may hold line breaks.
    const { own, line, extra } = this.place(row.raw, row.info.lines);
    this.extraLines += extra;
    let event: unknown;
    try {
      event = csvRowToEvent(row.record);
    } catch (err) {
      // A row of several lines that is no event: most likely a quote left open.
      return this.broken(own, line, (err as Error).message);
    }
    // A row of several lines that reads as an event may still have swallowed the rows after it: a
    // quote opened in a flat column that only relaxed quoting could read (it took the next quote,
    // of a later row, as its own). A row that reads strictly is taken as written: a quoted cell may
    // hold line breaks.
    if (own.includes("\n") && !readsStrictly(own))
      return this.broken(own, line, "unreadable CSV row");
    return [{ line, event }];
  }

  /** A row csv-parse skipped (broken quoting, the wrong number of cells); none if said already. */
  skipped(
    err: Error & { code?: string; lines?: number; raw?: string },
    raw = err.raw,
  ): FileRecord[] {
    const placed = this.place(raw ?? "", err.lines ?? 0);
    const { own, extra } = placed;
    let { line } = placed;
    if (err.code === "CSV_QUOTE_NOT_CLOSED") {
      // A quote still open at the end of the text: the row runs to it, blank lines at the end
      // included. csv-parse counted each of its line breaks, a CRLF as two, but the last one of
      // the text when it ends with one.
      const text = (raw ?? "").replace(/^[\r\n]+/, "");
      const counted =
        (text.match(/\r\n/g)?.length ?? 0) +
        (text.match(/\n/g)?.length ?? 0) -
        (/\n$/.test(text) ? 1 : 0);
      line = this.offset + (err.lines ?? 0) - counted - this.extraLines;
    }
    // csv-parse may report one row twice in a row (two stray quotes): one record per row.
    if (line === this.lastSkipped) return [];
    this.lastSkipped = line;
    this.extraLines += extra;
    // Its own line numbers are csv-parse's (a CRLF inside quotes counted twice): the record says where.
    return this.broken(own, line, `unreadable CSV row: ${withoutLine(err.message)}`);
  }

  /**
   * The records of a row that could not be read (or that swallowed rows), from its `line` on. A row
   * of one line is one error. A row of several lines is most often a quote opened and never closed,
   * which took the lines after it into the same row: when what follows its first line holds a row
   * that reads on its own, the first line is the broken one and the rest is read again, so that good
   * rows are not lost with their broken neighbour. Otherwise the row is one error.
   */
  private broken(
    own: string,
    line: number,
    reason: string,
    again = own.includes("\n") ? this.readAgain(own, line) : [],
  ): FileRecord[] {
    if (!own.includes("\n")) return [{ line, error: reason }];
    const span = `lines ${line}–${line + (own.match(/\n/g)?.length ?? 0)} read as one row`;
    if (!again.some(r => r.event !== undefined)) return [{ line, error: `${reason} (${span})` }];
    return [
      {
        line,
        error: `${reason} (${span}: a quote opened on line ${line} is not closed on it; the lines after it are read on their own)`,
      },
      ...again,
    ];
  }

  /**
   * The lines of a row after its first, read again: as CSV (a row of several lines among them is
   * kept whole), and, when that reading meets another such row, line by line, so that a file of
   * quotes never closed costs two readings, not one per line.
   */
  private readAgain(own: string, line: number): FileRecord[] {
    const rest = own.slice(own.indexOf("\n") + 1);
    if (this.depth >= 1) {
      return rest
        .split(/\r?\n/)
        .flatMap((text, k) =>
          text.trim() === "" ? [] : [rowAlone(text, line + 1 + k, this.header())],
        );
    }
    const reader = new RowReader(this.header, line, this.depth + 1);
    const out: FileRecord[] = [];
    try {
      parseSync(rest, {
        ...CSV_OPTIONS,
        columns: this.header(),
        on_skip: (err: Error | undefined, raw: string | undefined) => {
          if (err !== undefined) out.push(...reader.skipped(err, raw));
        },
        // Records go out here, in file order with the skipped rows, not as the parser's result.
        on_record: (row: ParsedRow) => void out.push(...reader.record(row)),
      });
    } catch (err) {
      out.push({
        line: line + 1,
        error: `unreadable CSV row: ${withoutLine((err as Error).message)}`,
      });
    }
    return out;
  }
}

/** An unquoted cell: anything but a quote, a comma or a line break (from lastIndex on). */
const UNQUOTED_CELL = /[^",\r\n]*/y;

/**
 * Whether a row's text reads the same without relaxed quoting: cells separated by commas, each
 * either quoted (quotes inside doubled; line breaks allowed) or unquoted (no quote, comma or line
 * break), as RFC 4180 writes them. It only asks about rows csv-parse read, so the number of cells
 * is right. A loop over the cells rather than one regular expression: a cell of megabytes
 * overflowed the expression engine's stack.
 */
function readsStrictly(own: string): boolean {
  let i = 0;
  for (;;) {
    if (own[i] === '"') {
      // Up to the quote that is not doubled.
      for (i++; ;) {
        const quote = own.indexOf('"', i);
        if (quote < 0) return false;
        i = quote + 1;
        if (own[i] !== '"') break;
        i++;
      }
    } else {
      UNQUOTED_CELL.lastIndex = i;
      i += (UNQUOTED_CELL.exec(own) as RegExpExecArray)[0].length;
    }
    if (i === own.length) return true;
    if (own[i] !== ",") return false;
    i++;
  }
}

/** csv-parse's message without its own line number (the record gives the line). */
function withoutLine(message: string): string {
  return message.replace(/ (?:on|at) line \d+\b/, "");
}

/** One line of a CSV file read on its own, with the file's header. */
function rowAlone(text: string, line: number, header: string[]): FileRecord {
  let rows: Record<string, string>[];
  try {
    rows = parseSync(text, { columns: header, relax_quotes: true, trim: false });
  } catch (err) {
    return { line, error: `unreadable CSV row: ${withoutLine((err as Error).message)}` };
  }
  try {
    return { line, event: csvRowToEvent(rows[0] ?? {}) };
  } catch (err) {
    return { line, error: (err as Error).message };
  }
}

/** Streams the records of a file; `onBytes` reports progress in bytes read. */
export async function* readEventFile(
  file: string,
  format: FileFormat = formatOf(file),
  onBytes?: (bytes: number) => void,
): AsyncGenerator<FileRecord> {
  const stream = fs.createReadStream(file);
  if (onBytes !== undefined) stream.on("data", chunk => onBytes(chunk.length));
  if (format === "ndjson") {
    let line = 0;
    for await (const read of readline.createInterface({ input: stream, crlfDelay: Infinity })) {
      line++;
      // A byte order mark (editors on Windows write one) is not part of the first event.
      const text = line === 1 && read.startsWith("\uFEFF") ? read.slice(1) : read;
      if (text.trim() === "") continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        yield { line, error: `not JSON: ${(err as Error).message}` };
        continue;
      }
      // A file that is one JSON array (what POST /events takes as application/json) is no NDJSON.
      yield Array.isArray(value)
        ? { line, error: "a JSON array, not an event: NDJSON is one event per line" }
        : { line, event: value };
    }
    return;
  }

  // Unreadable rows, in file order, not yet handed out (a queue: `next` is its head).
  let skipped: FileRecord[] = [];
  let next = 0;
  let header: string[] = [];
  // Records and skipped rows are both met here in file order (on_record and "skip" run as the parser
  // reads), so each row's place is worked out before the rows after it change the count of lines.
  const rows = new RowReader(() => header);
  const parser = stream.pipe(
    parse({
      ...CSV_OPTIONS,
      columns: (names: string[]) => (header = csvHeader(names)),
      bom: true,
      on_record: (row: ParsedRow) => rows.record(row),
    }),
  );
  // pipe() does not pass on a read error (a directory, a file removed meanwhile): the loop below
  // ends with it instead of the process.
  stream.on("error", err => parser.destroy(err));
  parser.on("skip", (err: Error & { lines?: number; raw?: string }) => {
    skipped.push(...rows.skipped(err));
  });
  for await (const records of parser as AsyncIterable<FileRecord[]>) {
    const line = (records[0] as FileRecord).line;
    // Skipped rows are reported as parsing meets them, ahead of the records before them: keep file order.
    while (next < skipped.length && (skipped[next] as FileRecord).line < line)
      yield skipped[next++] as FileRecord;
    if (next === skipped.length) {
      skipped = [];
      next = 0;
    }
    yield* records;
  }
  while (next < skipped.length) yield skipped[next++] as FileRecord;
}
