/**
 * Control characters, invisible formatting ones (bidi overrides, zero-width spaces, BOM) and lone
 * surrogates: never part of a place name, and a bidi override would turn a report's text around.
 * Cleaning removes them (lib/normalize.ts); validation counts a city of them alone as missing
 * (lib/user-event.ts).
 */
export const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}]/u;
export const INVISIBLE_ALL = /[\p{Cc}\p{Cf}\p{Cs}]/gu;
