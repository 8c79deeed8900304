/**
 * A safe parser for Python literals as printed by `repr()` (the original system wrote its address
 * column that way: `{'city': 'Fultondale ', 'state': None}`): dicts, lists, tuples, strings,
 * numbers, None, True, False (and nan, read as None). Nothing is evaluated; anything else is a PyLiteralError.
 */

export class PyLiteralError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position}`);
    this.name = "PyLiteralError";
  }
}

export type PyValue = null | boolean | number | string | PyValue[] | { [key: string]: PyValue };

const ESCAPES: Record<string, string> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  n: "\n",
  r: "\r",
  t: "\t",
  b: "\b",
  f: "\f",
  v: "\v",
  a: "\x07",
  "0": "\0",
};

/** Parses one Python literal; the whole text must be that literal (surrounding spaces allowed). */
export function parsePyLiteral(text: string, maxDepth = 32): PyValue {
  let pos = 0;

  const fail = (message: string): never => {
    throw new PyLiteralError(message, pos);
  };
  const skipSpace = (): void => {
    while (pos < text.length && /\s/.test(text[pos] as string)) pos++;
  };
  const expect = (ch: string): void => {
    skipSpace();
    if (text[pos] !== ch) fail(`expected '${ch}'`);
    pos++;
  };

  const parseString = (): string => {
    const quote = text[pos];
    pos++;
    let out = "";
    while (pos < text.length) {
      const ch = text[pos] as string;
      if (ch === quote) {
        pos++;
        return out;
      }
      if (ch === "\n") fail("line break inside a string");
      if (ch === "\\") {
        const next = text[pos + 1];
        if (next === undefined) fail("unfinished escape");
        if (next === "x" || next === "u") {
          const len = next === "x" ? 2 : 4;
          const hex = text.slice(pos + 2, pos + 2 + len);
          if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) fail("bad hex escape");
          out += String.fromCharCode(parseInt(hex, 16));
          pos += 2 + len;
          continue;
        }
        const mapped = ESCAPES[next as string];
        // Python keeps unknown escapes as written (backslash included).
        out += mapped ?? `\\${next}`;
        pos += 2;
        continue;
      }
      out += ch;
      pos++;
    }
    return fail("unterminated string");
  };

  const parseValue = (depth: number): PyValue => {
    if (depth > maxDepth) fail("nested too deeply");
    skipSpace();
    const ch = text[pos];
    if (ch === undefined) return fail("unexpected end");
    if (ch === "'" || ch === '"') {
      // Adjacent literals concatenate in Python ('a' 'b'); repr never writes them, so refuse them.
      return parseString();
    }
    if (ch === "{") return parseDict(depth);
    if (ch === "[" || ch === "(") return parseSequence(depth, ch === "[" ? "]" : ")");
    // nan: what pandas writes for a missing value (repr of float("nan")); read as None.
    const word = /^(None|True|False|nan)\b/.exec(text.slice(pos, pos + 6));
    if (word !== null) {
      pos += word[1]!.length;
      return word[1] === "None" || word[1] === "nan" ? null : word[1] === "True";
    }
    const num = /^[-+]?(\d[\d_]*)?(\.\d[\d_]*)?([eE][-+]?\d+)?/.exec(text.slice(pos));
    if (num !== null && num[0] !== "" && /\d/.test(num[0])) {
      pos += num[0].length;
      return Number(num[0].replace(/_/g, ""));
    }
    return fail(`unexpected '${ch}'`);
  };

  const parseDict = (depth: number): { [key: string]: PyValue } => {
    pos++;
    const out: { [key: string]: PyValue } = Object.create(null) as { [key: string]: PyValue };
    skipSpace();
    if (text[pos] === "}") {
      pos++;
      return { ...out };
    }
    for (;;) {
      const key = parseValue(depth + 1);
      if (typeof key !== "string" && typeof key !== "number")
        return fail("dict keys must be strings or numbers");
      expect(":");
      out[String(key)] = parseValue(depth + 1);
      skipSpace();
      if (text[pos] === ",") {
        pos++;
        skipSpace();
        if (text[pos] === "}") {
          pos++;
          return { ...out };
        }
        continue;
      }
      expect("}");
      return { ...out };
    }
  };

  const parseSequence = (depth: number, close: string): PyValue[] => {
    pos++;
    const out: PyValue[] = [];
    skipSpace();
    if (text[pos] === close) {
      pos++;
      return out;
    }
    for (;;) {
      out.push(parseValue(depth + 1));
      skipSpace();
      if (text[pos] === ",") {
        pos++;
        skipSpace();
        if (text[pos] === close) {
          pos++;
          return out;
        }
        continue;
      }
      expect(close);
      return out;
    }
  };

  const value = parseValue(0);
  skipSpace();
  if (pos !== text.length) fail("unexpected text after the value");
  return value;
}
