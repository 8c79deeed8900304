/** Request bodies read as UTF-8, strictly: a byte that is not UTF-8 is an error, not a U+FFFD. */
import { InvalidUtf8Error } from "./errors";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A request body as text: UTF-8 (a leading byte order mark dropped), or InvalidUtf8Error naming
 * the first byte that is not. Anything but bytes (no body) is "".
 */
export function utf8Body(body: unknown): string {
  if (!Buffer.isBuffer(body)) return "";
  try {
    return strictUtf8.decode(body);
  } catch {
    throw new InvalidUtf8Error(firstInvalidUtf8Byte(body));
  }
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence. */
export function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    const need =
      b < 0x80
        ? 0
        : b >= 0xc2 && b <= 0xdf
          ? 1
          : b >= 0xe0 && b <= 0xef
            ? 2
            : b >= 0xf0 && b <= 0xf4
              ? 3
              : -1;
    if (need < 0) return i;
    if (need > 0) {
      const second = bytes[i + 1];
      if (second === undefined) return i;
      // The second byte's range rules out overlong forms, surrogates and code points past U+10FFFF.
      const lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
      const hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
      if (second < lo || second > hi) return i;
      for (let k = 2; k <= need; k++) {
        const next = bytes[i + k];
        if (next === undefined || next < 0x80 || next > 0xbf) return i;
      }
    }
    i += need + 1;
  }
  return bytes.length;
}
