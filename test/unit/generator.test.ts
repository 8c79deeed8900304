import fs from "node:fs";
import { describe, expect, it } from "vitest";
import {
  createUserEventGenerator,
  jobOrderedUuid,
  jobSeed,
  uuidFromWords,
} from "../../lib/generator";
import { geoFiles } from "../../lib/paths";
import { usPlaces } from "../../lib/places";
import { validateUserEvent } from "../../lib/user-event";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("uuidFromWords", () => {
  it("formats version-4 UUIDs", () => {
    expect(uuidFromWords(0, 0, 0, 0)).toBe("00000000-0000-4000-8000-000000000000");
    expect(uuidFromWords(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff)).toBe(
      "ffffffff-ffff-4fff-bfff-ffffffffffff",
    );
    expect(uuidFromWords(0x01234567, 0x89abcdef, 0x01234567, 0x89abcdef)).toMatch(UUID_V4);
  });
});

describe("jobOrderedUuid", () => {
  const prefix: [number, number] = [0x01234567, 0x89abcdef];

  it("lays out prefix, version 8, variant, index and random bits", () => {
    expect(jobOrderedUuid(prefix, 0, 0)).toBe("01234567-89ab-8def-8000-000000000000");
    expect(jobOrderedUuid(prefix, 1, 0x3fffffff)).toBe("01234567-89ab-8def-8000-00007fffffff");
    expect(jobOrderedUuid(prefix, 262_144, 0)).toBe("01234567-89ab-8def-8001-000000000000");
    expect(jobOrderedUuid(prefix, 0xffffffff, 0xffffffff)).toBe(
      "01234567-89ab-8def-bfff-ffffffffffff",
    );
    expect(() => jobOrderedUuid(prefix, 2 ** 32, 0)).toThrow(RangeError);
    expect(() => jobOrderedUuid(prefix, -1, 0)).toThrow(RangeError);
  });

  it("sorts by index whatever the random bits, as text and as the bytes SQLite stores", () => {
    const indexes = [0, 1, 2, 3, 4, 1000, 262_143, 262_144, 1_000_000, 999_999_999, 0xffffffff];
    const ids = indexes.map((i, k) => jobOrderedUuid(prefix, i, (k * 0x9e3779b9) >>> 0));
    expect([...ids].sort()).toEqual(ids);
    const bytes = ids.map(id => Buffer.from(id.replace(/-/g, ""), "hex"));
    expect([...bytes].sort((a, b) => Buffer.compare(a, b))).toEqual(bytes);
  });
});

describe("user event generator", () => {
  const generator = createUserEventGenerator(usPlaces());
  const zips = JSON.parse(fs.readFileSync(geoFiles().zipsFile, "utf8")) as Record<
    string,
    [string, string]
  >;

  it("makes valid events with real places: the ZIP code belongs to the state", () => {
    const events = generator.generate("seed-a", 0, 2000);
    for (const e of events) {
      expect(validateUserEvent(e)).toEqual([]);
      expect(e.id).toMatch(UUID_V8);
      expect(e.address.country).toBe("US");
      expect(e.address.postCode).toMatch(/^\d{5}$/);
      expect(
        zips[e.address.postCode as string]?.[1],
        `${e.address.postCode} in ${e.address.state}`,
      ).toBe(e.address.state);
    }
    expect(new Set(events.map(e => e.id)).size).toBe(2000);
  });

  it("is a pure function of (job seed, index), so a job can resume anywhere", () => {
    const all = generator.generate("seed-b", 0, 100);
    const tail = generator.generate("seed-b", 60, 40);
    expect(tail.map(e => [e.id, e.address])).toEqual(all.slice(60).map(e => [e.id, e.address]));
    const other = generator.generate("seed-c", 0, 100);
    expect(other[0]?.id).not.toBe(all[0]?.id);
    // Ids of a job share its prefix and follow its indexes.
    expect(new Set(all.map(e => e.id.slice(0, 18))).size).toBe(1);
    expect(other[0]?.id.slice(0, 18)).not.toBe(all[0]?.id.slice(0, 18));
    expect(all.map(e => e.id)).toEqual([...all.map(e => e.id)].sort());
  });

  it("derives job seeds from SEED when set, randomly otherwise", () => {
    expect(jobSeed("42", 3)).toBe("42:3");
    expect(jobSeed(undefined, 3)).not.toBe(jobSeed(undefined, 3));
  });

  it("picks big cities more often than small ones, in proportion to population", () => {
    const events = generator.generate("seed-d", 0, 50_000);
    const count = (city: string, state: string) =>
      events.filter(e => e.address.city === city && e.address.state === state).length;
    const places = usPlaces().list;
    const share = (city: string) => {
      const total = places.reduce((s, p) => s + p.population, 0);
      return (places.find(p => p.city === city)?.population ?? 0) / total;
    };
    const ny = count("New York", "NY");
    const la = count("Los Angeles", "CA");
    expect(ny).toBeGreaterThan(la);
    // Within 20 % of the expected share (50,000 draws: sd of the NY count is about 1 %).
    expect(ny / 50_000).toBeGreaterThan(share("New York") * 0.8);
    expect(ny / 50_000).toBeLessThan(share("New York") * 1.2);
    expect(new Set(events.map(e => e.address.city)).size).toBeGreaterThan(1000);
  });

  it("stamps events with the time given", () => {
    const now = new Date("2026-01-02T03:04:05.678Z");
    expect(generator.generate("s", 0, 2, now).map(e => e.datetime)).toEqual([
      now.toISOString(),
      now.toISOString(),
    ]);
  });
});
