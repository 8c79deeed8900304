import { describe, expect, it } from "vitest";
import { makeDirty } from "../../lib/dirty";
import { createUserEventGenerator } from "../../lib/generator";
import { createNormalizer, STATE_NAMES, type CleanAddress } from "../../lib/normalize";
import { usPlaces } from "../../lib/places";
import { seedFromString, sfc32 } from "../../lib/prng";

describe("makeDirty", () => {
  const normalizer = createNormalizer();
  const cleanAddresses: CleanAddress[] = createUserEventGenerator(usPlaces())
    .generate("dirty-addresses", 0, 5000)
    .map(({ address: a }) => ({
      city: a.city,
      state: a.state ?? null,
      country: a.country ?? null,
      postCode: a.postCode === null || a.postCode === undefined ? null : String(a.postCode),
    }));

  it("is undone by the normaliser, for every kind of mess", () => {
    const next = sfc32(seedFromString("dirty"));
    for (const clean of cleanAddresses) {
      const raw = makeDirty(clean, next);
      expect(normalizer.address(raw), JSON.stringify(raw)).toEqual(clean);
    }
  });

  it("is deterministic for one random sequence", () => {
    const run = (seed: string) => {
      const next = sfc32(seedFromString(seed));
      return cleanAddresses.slice(0, 200).map(a => makeDirty(a, next));
    };
    expect(run("same")).toEqual(run("same"));
    expect(run("same")).not.toEqual(run("other"));
  });

  it("makes every kind of mess, and leaves some addresses clean", () => {
    const next = sfc32(seedFromString("kinds"));
    const raws = cleanAddresses.map(a => makeDirty(a, next));
    const share = (test: (raw: (typeof raws)[number], i: number) => boolean) =>
      raws.filter(test).length / raws.length;
    const isString = (v: unknown): v is string => typeof v === "string";
    const clean = (i: number) => cleanAddresses[i] as CleanAddress;
    const kinds: Record<string, number> = {
      cityUpper: share((r, i) => r.city === clean(i).city.toUpperCase()),
      cityLower: share((r, i) => r.city === clean(i).city.toLowerCase()),
      cityPadded: share(r => isString(r.city) && r.city !== r.city.trim()),
      stateInCity: share(r => isString(r.city) && r.city.includes(",")),
      stateInCityNoComma: share(
        (r, i) => isString(r.city) && r.city.endsWith(` ${clean(i).state ?? "-"}`),
      ),
      stateName: share(
        (r, i) =>
          isString(r.state) &&
          r.state.trim().toLowerCase() === STATE_NAMES[clean(i).state ?? ""]?.toLowerCase(),
      ),
      stateIso: share(r => isString(r.state) && /^us-/i.test(r.state)),
      stateMissing: share(r => !isString(r.state) || ["", "None", "null", "N/A"].includes(r.state)),
      zipPlus4: share(
        r => isString(r.postCode) && r.postCode.length > 5 && r.postCode.trim().length > 5,
      ),
      zipNumber: share(r => typeof r.postCode === "number"),
      zipFourDigits: share(r => String(r.postCode).trim().length === 4),
      countrySpelled: share(r => isString(r.country) && r.country !== "US" && r.country !== ""),
      countryMissing: share(r => r.country === undefined || r.country === null || r.country === ""),
      untouched: share(
        (r, i) =>
          r.city === clean(i).city &&
          r.state === clean(i).state &&
          r.postCode === clean(i).postCode &&
          r.country === "US",
      ),
    };
    for (const [kind, fraction] of Object.entries(kinds)) {
      expect(fraction, kind).toBeGreaterThan(0.005);
    }
    expect(kinds.untouched).toBeLessThan(0.5);
  });
});
