import { describe, expect, it } from "vitest";
import { createPlaces, usPlaces } from "../../lib/places";

describe("places", () => {
  const places = createPlaces([
    { city: "Big", state: "AA", zips: ["00001"], population: 900 },
    { city: "Small", state: "BB", zips: ["00002"], population: 100 },
  ]);

  it("picks in proportion to population", () => {
    expect(places.pick(0).city).toBe("Big");
    expect(places.pick(0.899).city).toBe("Big");
    expect(places.pick(0.9).city).toBe("Small");
    expect(places.pick(0.999999).city).toBe("Small");
  });

  it("refuses an empty table", () => {
    expect(() => createPlaces([])).toThrow(/No places/);
  });

  it("loads thousands of real US places with ZIP codes, biggest first", () => {
    const list = usPlaces().list;
    expect(list.length).toBeGreaterThan(5000);
    expect(list[0]).toMatchObject({ city: "New York", state: "NY" });
    for (const p of list.slice(0, 200)) {
      expect(p.state).toMatch(/^[A-Z]{2}$/);
      expect(p.zips.length).toBeGreaterThan(0);
      expect(p.population).toBeGreaterThan(0);
    }
    const keys = new Set(list.map(p => `${p.city}|${p.state}`));
    expect(keys.size).toBe(list.length);
  });
});
