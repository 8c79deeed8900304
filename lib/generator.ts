/**
 * Generates realistic user events. Event `i` of a job is a pure function of (job seed, i), so a job
 * interrupted half-way can resume and re-produce the same events (same ids: harmless downstream).
 */
import { randomUUID } from "node:crypto";
import { makeDirty } from "./dirty";
import type { Places } from "./places";
import { seedFromString, streamAt, type Seed } from "./prng";
import type { Address, UserEvent } from "./user-event";

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function hex32(w: number): string {
  return (
    (HEX[(w >>> 24) & 0xff] as string) +
    (HEX[(w >>> 16) & 0xff] as string) +
    (HEX[(w >>> 8) & 0xff] as string) +
    (HEX[w & 0xff] as string)
  );
}

/** A version-4-shaped UUID from four random 32-bit words. */
export function uuidFromWords(w0: number, w1: number, w2: number, w3: number): string {
  const w1v = ((w1 & 0xffff0fff) | 0x00004000) >>> 0; // version 4
  const w2v = ((w2 & 0x3fffffff) | 0x80000000) >>> 0; // RFC 4122 variant
  const s1 = hex32(w1v);
  const s2 = hex32(w2v);
  return `${hex32(w0)}-${s1.slice(0, 4)}-${s1.slice(4)}-${s2.slice(0, 4)}-${s2.slice(4)}${hex32(w3)}`;
}

const hex16 = (w: number): string => (HEX[(w >>> 8) & 0xff] as string) + (HEX[w & 0xff] as string);

/**
 * The id of generated user `index` of a job: a UUID of version 8 (RFC 9562's layout of one's own)
 * that sorts by job, then by index. 60 bits come from the job's seed (`prefix`), then the index
 * (32 bits), then 30 random bits. Ids of a job are then stored next to each other in SQLite's id
 * index instead of at random places: an insert cost 3.6 µs instead of 14.5 µs with 1,000,000 ids
 * stored (docs/BENCHMARKS.md). Unique within a job by the index, across jobs by the prefix.
 */
export function jobOrderedUuid(
  prefix: readonly [number, number],
  index: number,
  random: number,
): string {
  if (!Number.isInteger(index) || index < 0 || index > 0xffffffff)
    throw new RangeError(`index ${index} is not a 32-bit unsigned integer`);
  const [p0, p1] = prefix;
  const variantAndIndexHigh = 0x8000 | ((index >>> 18) & 0x3fff); // variant 10, index bits 31..18
  const nodeHigh = (index & 0x3ffff) >>> 2; // index bits 17..2
  const nodeLow = (((index & 0x3) << 30) | (random & 0x3fffffff)) >>> 0; // index bits 1..0, random
  return (
    `${hex32(p0)}-${hex16(p1 >>> 16)}-8${hex16(p1 & 0xfff).slice(1)}-` +
    `${hex16(variantAndIndexHigh)}-${hex16(nodeHigh)}${hex32(nodeLow)}`
  );
}

/**
 * The seed of one job: derived from SEED and the job's sequence number when SEED is set (so a run
 * is reproducible), random otherwise.
 */
export function jobSeed(seed: string | undefined, jobSequence: number): string {
  return seed === undefined ? randomUUID() : `${seed}:${jobSequence}`;
}

export interface UserEventGenerator {
  /** Events start … start+count-1 of the job with this seed, stamped with `now`. */
  generate(jobSeedText: string, start: number, count: number, now?: Date): UserEvent[];
}

export interface GeneratorOptions {
  /** Share (0 to 1) of events whose address is made realistically messy (see lib/dirty.ts). Default 0. */
  dirtyShare?: number;
}

/** A generator drawing places from the given weighted table. */
export function createUserEventGenerator(
  places: Places,
  opts: GeneratorOptions = {},
): UserEventGenerator {
  // Compared with a uint32 draw, so that the decision is part of the deterministic stream.
  const dirtyBelow = Math.round((opts.dirtyShare ?? 0) * 0x1_0000_0000);
  const seeds = new Map<string, { seed: Seed; idPrefix: [number, number] }>();
  return {
    generate(jobSeedText, start, count, now = new Date()) {
      let job = seeds.get(jobSeedText);
      if (job === undefined) {
        const ids = seedFromString(`${jobSeedText}:ids`);
        job = { seed: seedFromString(jobSeedText), idPrefix: [ids[0], ids[1]] };
        if (seeds.size > 1000) seeds.clear();
        seeds.set(jobSeedText, job);
      }
      const { seed, idPrefix } = job;
      const datetime = now.toISOString();
      const events: UserEvent[] = new Array<UserEvent>(count);
      for (let k = 0; k < count; k++) {
        const next = streamAt(seed, start + k);
        // Four words, as the ids of version 4 took before: the rest of the stream is unchanged.
        next();
        next();
        next();
        const id = jobOrderedUuid(idPrefix, start + k, next());
        const place = places.pick(next() / 0x1_0000_0000);
        const postCode = place.zips[next() % place.zips.length] as string;
        const clean = { city: place.city, state: place.state, country: "US", postCode };
        const address: Address = next() < dirtyBelow ? (makeDirty(clean, next) as Address) : clean;
        events[k] = { id, address, datetime };
      }
      return events;
    },
  };
}
