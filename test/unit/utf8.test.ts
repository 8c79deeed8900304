import { isUtf8 } from "node:buffer";
import { describe, expect, it } from "vitest";
import { InvalidUtf8Error } from "../../lib/errors";
import { firstInvalidUtf8Byte, utf8Body } from "../../lib/utf8";
import { seedFromString, sfc32 } from "../../lib/prng";

describe("utf8Body", () => {
  it("reads UTF-8, drops a byte order mark, and reads no body as empty", () => {
    expect(utf8Body(Buffer.from('[{"city":"Zürich 東京 🏙"}]'))).toBe('[{"city":"Zürich 東京 🏙"}]');
    expect(utf8Body(Buffer.from("\uFEFF[]"))).toBe("[]");
    expect(utf8Body({})).toBe("");
    expect(utf8Body(undefined)).toBe("");
  });

  it("refuses bytes that are not UTF-8, naming the first", () => {
    const body = Buffer.concat([
      Buffer.from('[{"city":"A'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('b"}]'),
    ]);
    expect(() => utf8Body(body)).toThrow(InvalidUtf8Error);
    expect(() => utf8Body(body)).toThrow("not valid UTF-8 (at byte 11)");
  });

  it.each([
    ["a lone continuation byte", [0x41, 0x80], 1],
    ["an overlong slash", [0xc0, 0xaf], 0],
    ["an overlong three-byte form", [0xe0, 0x80, 0xaf], 0],
    ["a surrogate", [0x41, 0xed, 0xa0, 0x80], 1],
    ["past U+10FFFF", [0xf4, 0x90, 0x80, 0x80], 0],
    ["a sequence cut at the end", [0x41, 0x42, 0xe6, 0x9d], 2],
    ["a sequence cut by ASCII", [0xf0, 0x9f, 0x41], 0],
    ["valid throughout", [0x41, 0xc3, 0xbc, 0xe6, 0x9d, 0xb1, 0xf0, 0x9f, 0x8f, 0x99], 10],
  ])("finds the first bad byte: %s", (_what, bytes, at) => {
    expect(firstInvalidUtf8Byte(Uint8Array.from(bytes))).toBe(at);
  });

  it("agrees with Node's own check on random bytes", () => {
    const next = sfc32(seedFromString("utf8"));
    const random = (): number => next() / 2 ** 32;
    for (let n = 0; n < 20_000; n++) {
      const bytes = Uint8Array.from({ length: 1 + Math.floor(random() * 8) }, () =>
        // Mostly the bytes UTF-8 is made of, so that valid sequences occur too.
        random() < 0.5 ? 0x80 + Math.floor(random() * 0x40) : Math.floor(random() * 256),
      );
      const valid = isUtf8(bytes);
      expect(firstInvalidUtf8Byte(bytes) === bytes.length, Buffer.from(bytes).toString("hex")).toBe(
        valid,
      );
    }
  });
});
