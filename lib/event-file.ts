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

/**
 * The records of a CSV row that could not be read (or that swallowed rows), given its lines from
 * `line` on. A row of one line is one error. A row of several lines whose later lines include a
 * whole row of their own is a quote opened and never closed, which took the lines after it into
 * the same row: the first line is the broken one, and each line after it is read again on its own,
 * so that good rows are not lost with their broken neighbour. Otherwise the row is one error.
 */
function brokenRow(lines: string[], line: number, reason: string, header: string[]): FileRecord[] {
  if (lines.length === 1) return [{ line, error: reason }];
  const span = `lines ${line}–${line + lines.length - 1} read as one row`;
  const again = lines
    .slice(1)
    .flatMap((text, k) => (text.trim() === "" ? [] : [rowAlone(text, line + 1 + k, header)]));
  if (!again.some(r => r.event !== undefined)) return [{ line, error: `${reason} (${span})` }];
  return [
    {
      line,
      error: `${reason} (${span}: a quote opened on line ${line} is not closed on it; the lines after it are read on their own)`,
    },
    ...again,
  ];
}

/** Whether a line after the first of a row is a whole row on its own (the row swallowed it). */
function swallowedRows(lines: string[], header: string[]): boolean {
  return lines
    .slice(1)
    .some(text => text.trim() !== "" && rowAlone(text, 0, header).event !== undefined);
}

/** One line of a CSV file read on its own, with the file's header. */
function rowAlone(text: string, line: number, header: string[]): FileRecord {
  let rows: Record<string, string>[];
  try {
    rows = parseSync(text, { columns: header, relax_quotes: true, trim: false });
  } catch (err) {
    return {
      line,
      error: `unreadable CSV row: ${(err as Error).message.replace(/ (?:on|at) line 1\b/, "")}`,
    };
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
      try {
        yield { line, event: JSON.parse(text) as unknown };
      } catch (err) {
        yield { line, error: `not JSON: ${(err as Error).message}` };
      }
    }
    return;
  }

  // Unreadable rows, in file order, not yet handed out (a queue: `next` is its head).
  let skipped: FileRecord[] = [];
  let next = 0;
  let header: string[] = [];
  // csv-parse counts a CRLF inside a quoted cell as two lines: the lines it gave too many so far.
  // Records and skipped rows are both met here in file order (on_record and "skip" run as the parser
  // reads), so each row's place is worked out before the rows after it add to the count.
  let extraLines = 0;
  const placeOf = (raw: string, lastLine: number): { own: string; line: number; extra: number } => {
    // The row's own text: raw also holds the blank lines skipped before it, and its line break.
    const own = raw.replace(/^(?:\r?\n)+/, "").replace(/\r?\n$/, "");
    const extra = own.match(/\r\n/g)?.length ?? 0;
    const breaks = own.match(/\n/g)?.length ?? 0;
    return { own, line: lastLine - extraLines - extra - breaks, extra };
  };
  const parser = stream.pipe(
    parse({
      columns: (names: string[]) => (header = csvHeader(names)),
      bom: true,
      info: true,
      raw: true,
      trim: false,
      skip_empty_lines: true,
      // A row with broken quoting or the wrong number of cells is reported, not fatal. With relaxed
      // quotes a stray quote stays in the cell (the address then fails to parse, for that row only):
      // strict quoting made csv-parse lose its place and reject the next, valid row as well.
      skip_records_with_error: true,
      relax_quotes: true,
      // info.lines is the record's last line; a quoted cell may hold line breaks.
      on_record: (item: { raw: string; info: { lines: number } }) => {
        const place = placeOf(item.raw, item.info.lines);
        extraLines += place.extra;
        return { ...item, own: place.own, line: place.line };
      },
    }),
  );
  // pipe() does not pass on a read error (a directory, a file removed meanwhile): the loop below
  // ends with it instead of the process.
  stream.on("error", err => parser.destroy(err));
  parser.on("skip", (err: Error & { lines?: number; raw?: string }) => {
    // The lines the parser read as this one row.
    const place = placeOf(err.raw ?? "", err.lines ?? 0);
    // csv-parse may report one row twice in a row (two stray quotes): one record per row.
    if (skipped.some(r => r.line === place.line)) return;
    extraLines += place.extra;
    const lines = place.own.split(/\r?\n/);
    // Its own line numbers are csv-parse's (a CRLF inside quotes counted twice): the record says where.
    const reason = `unreadable CSV row: ${err.message.replace(/ (?:on|at) line \d+\b/, "")}`;
    skipped.push(...brokenRow(lines, place.line, reason, header));
  });
  for await (const item of parser as AsyncIterable<{
    record: Record<string, string>;
    own: string;
    line: number;
  }>) {
    const { line } = item;
    // Skipped rows are reported as parsing meets them, ahead of the records before them: keep file order.
    while (next < skipped.length && (skipped[next] as FileRecord).line < line)
      yield skipped[next++] as FileRecord;
    if (next === skipped.length) {
      skipped = [];
      next = 0;
    }
    const lines = item.own.split(/\r?\n/);
    let records: FileRecord[];
    try {
      const event = csvRowToEvent(item.record);
      // A row of several lines that reads as an event may still have swallowed the rows after it
      // (a quote opened in a flat column and closed by a quote of a later row).
      records =
        lines.length > 1 && swallowedRows(lines, header)
          ? brokenRow(lines, line, "unreadable CSV row", header)
          : [{ line, event }];
    } catch (err) {
      // A row of several lines that is no event: most likely a quote left open (it took the lines
      // after it into one of its cells), so the lines after the first are read again on their own.
      records = brokenRow(lines, line, (err as Error).message, header);
    }
    yield* records;
  }
  while (next < skipped.length) yield skipped[next++] as FileRecord;
}
