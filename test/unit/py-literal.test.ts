import { describe, expect, it } from "vitest";
import { parsePyLiteral, PyLiteralError } from "../../lib/py-literal";

describe("parsePyLiteral", () => {
  it.each([
    [
      "{'city': 'Fultondale ', 'state': 'Alabama ', 'country': 'US', 'postCode': '35068 '}",
      { city: "Fultondale ", state: "Alabama ", country: "US", postCode: "35068 " },
    ],
    [
      "{'city': 'Holland', 'state': None, 'postCode': 49423}",
      { city: "Holland", state: null, postCode: 49423 },
    ],
    [`{"city": "O'Fallon", 'note': 'say \\'hi\\'\\n'}`, { city: "O'Fallon", note: "say 'hi'\n" }],
    [
      "{'a': True, 'b': False, 'c': -1.5e3, 'd': [1, (2, 3)], 'e': {}}",
      { a: true, b: false, c: -1500, d: [1, [2, 3]], e: {} },
    ],
    ["{'trailing': 1,}", { trailing: 1 }],
    ["  {'x': '\\u00e9\\x41'}  ", { x: "éA" }],
    ["{'back': 'C:\\\\path\\\\d'}", { back: "C:\\path\\d" }],
    ["{'unknown': '\\d'}", { unknown: "\\d" }],
    ["'plain'", "plain"],
    ["None", null],
    ["nan", null],
    ["{'city': 'A', 'postCode': nan}", { city: "A", postCode: null }],
    ["1_000", 1000],
  ])("parses %s", (text, expected) => {
    expect(parsePyLiteral(text)).toEqual(expected);
  });

  it.each([
    ["{'city': 'x'", /expected '}'/],
    ["{'city' 'x'}", /expected ':'/],
    ["{'a': 'unterminated}", /unterminated/],
    ["__import__('os').system('rm -rf /')", /unexpected/],
    ["{'a': lambda: 1}", /unexpected/],
    ["{'a': 1} extra", /after the value/],
    ["{[1]: 2}", /keys/],
    ["", /unexpected end/],
    ["[".repeat(100), /nested too deeply/],
  ])("refuses %s", (text, message) => {
    expect(() => parsePyLiteral(text)).toThrow(PyLiteralError);
    expect(() => parsePyLiteral(text)).toThrow(message);
  });

  it("cannot set the prototype of the result", () => {
    const value = parsePyLiteral("{'__proto__': {'polluted': True}}") as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });
});
