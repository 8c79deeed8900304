/**
 * A small, fast, seedable pseudo-random generator (sfc32) and helpers to seed it from strings.
 * Not for secrets: it makes generated test data reproducible.
 */
import { createHash } from "node:crypto";

export type Seed = readonly [number, number, number, number];

/** Four 32-bit words derived from any string (SHA-256 of it). */
export function seedFromString(text: string): Seed {
  const h = createHash("sha256").update(text).digest();
  return [h.readUInt32LE(0), h.readUInt32LE(4), h.readUInt32LE(8), h.readUInt32LE(12)];
}

/** sfc32 generator: returns uint32 values. */
export function sfc32(seed: Seed): () => number {
  let [a, b, c, d] = seed;
  return () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
}

/** A generator for item `index` of a stream: the same (seed, index) always gives the same values. */
export function streamAt(seed: Seed, index: number): () => number {
  // Mix the index into two words (it may exceed 2^32) and warm up, as sfc32's author advises.
  const next = sfc32([
    seed[0] ^ (index >>> 0),
    seed[1] ^ Math.floor(index / 0x1_0000_0000),
    seed[2],
    seed[3],
  ]);
  for (let i = 0; i < 12; i++) next();
  return next;
}
