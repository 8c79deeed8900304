/**
 * Address normalisation: turns the messy city/state/country/postCode values users send into one
 * clean form (USPS state codes, five-digit ZIP codes, "US", place names spelled as GeoNames does),
 * so that events from one place count as one place. Pure and fast: every table is built once, in
 * createNormalizer.
 *
 * State versus ZIP code: when the ZIP code is in the ZIP database and the state field names another
 * state, the ZIP code wins, unless the city is a known place of the state field's state and not of
 * the ZIP code's; then the state wins and the ZIP code, wrong for that address, is dropped. A ZIP
 * code names exactly one state and is what the USPS sorts mail by, while two-letter state codes are
 * easy to confuse (MI/MN/MS/MO, AK/AL/AR/AZ) or to pick one line off in a drop-down; the city is a
 * third, independent witness, so two fields that agree outvote one. Without a known ZIP code, the
 * state field wins over a state written in the city field.
 */
import fs from "node:fs";
// The library without its 80 other languages: English names are the ones matched.
import isoCountries from "i18n-iso-countries/index";
import englishCountryNames from "i18n-iso-countries/langs/en.json";
import { INVISIBLE, INVISIBLE_ALL } from "./invisible";
import { geoFiles } from "./paths";

isoCountries.registerLocale(englishCountryNames);

/** An address as received: any field may be missing, of the wrong type, or badly written. */
export interface RawAddress {
  city?: unknown;
  state?: unknown;
  country?: unknown;
  postCode?: unknown;
}

/** A normalised address; null means unknown. */
export interface CleanAddress {
  /** Properly capitalised place name; "Unknown" when nothing usable is left. */
  city: string;
  /** USPS two-letter code. */
  state: string | null;
  /**
   * "US" for any US spelling; otherwise the ISO 3166-1 alpha-2 code of a known country, name or
   * code; else the name capitalised.
   */
  country: string | null;
  /** Exactly five digits. */
  postCode: string | null;
}

/** A place name with its USPS state code. */
export type PlaceName = readonly [name: string, state: string];

/** The lookup tables the normaliser needs (see scripts/build-geo.ts). */
export interface GeoTables {
  /** ZIP code -> [city as the ZIP database writes it, USPS state code]. */
  zips: Readonly<Record<string, readonly [string, string]>>;
  /** Place-name spellings, preferred first. The ZIP database's city names come after these. */
  placeNames: readonly PlaceName[];
}

export interface Normalizer {
  /** The clean form of one address. */
  address(raw: RawAddress): CleanAddress;
}

/**
 * USPS codes and names: the states, DC, the inhabited territories, and the military and freely
 * associated "states" the ZIP database also uses.
 */
// prettier-ignore
export const STATE_NAMES: Readonly<Record<string, string>> = {
  AL: "Alabama", AK: "Alaska", AZ: "Arizona", AR: "Arkansas", CA: "California", CO: "Colorado",
  CT: "Connecticut", DE: "Delaware", DC: "District of Columbia", FL: "Florida", GA: "Georgia",
  HI: "Hawaii", ID: "Idaho", IL: "Illinois", IN: "Indiana", IA: "Iowa", KS: "Kansas",
  KY: "Kentucky", LA: "Louisiana", ME: "Maine", MD: "Maryland", MA: "Massachusetts",
  MI: "Michigan", MN: "Minnesota", MS: "Mississippi", MO: "Missouri", MT: "Montana",
  NE: "Nebraska", NV: "Nevada", NH: "New Hampshire", NJ: "New Jersey", NM: "New Mexico",
  NY: "New York", NC: "North Carolina", ND: "North Dakota", OH: "Ohio", OK: "Oklahoma",
  OR: "Oregon", PA: "Pennsylvania", RI: "Rhode Island", SC: "South Carolina", SD: "South Dakota",
  TN: "Tennessee", TX: "Texas", UT: "Utah", VT: "Vermont", VA: "Virginia", WA: "Washington",
  WV: "West Virginia", WI: "Wisconsin", WY: "Wyoming",
  AS: "American Samoa", GU: "Guam", MP: "Northern Mariana Islands", PR: "Puerto Rico",
  VI: "U.S. Virgin Islands", AA: "Armed Forces Americas", AE: "Armed Forces Europe",
  AP: "Armed Forces Pacific", FM: "Micronesia", MH: "Marshall Islands", PW: "Palau",
};

/** Other names people write, simplified (lower case, no periods): AP-style abbreviations etc. */
// prettier-ignore
const STATE_ALIASES: Readonly<Record<string, string>> = {
  ala: "AL", ariz: "AZ", ark: "AR", calif: "CA", cal: "CA", colo: "CO", conn: "CT", del: "DE",
  fla: "FL", ill: "IL", ind: "IN", kan: "KS", kans: "KS", mass: "MA", mich: "MI", minn: "MN",
  miss: "MS", mont: "MT", neb: "NE", nebr: "NE", nev: "NV", okla: "OK", ore: "OR", penn: "PA",
  tenn: "TN", tex: "TX", wash: "WA", wis: "WI", wisc: "WI", wyo: "WY", wva: "WV",
  "w virginia": "WV", "n carolina": "NC", "s carolina": "SC", "n dakota": "ND", "s dakota": "SD",
  "washington dc": "DC", "dist of columbia": "DC", "virgin islands": "VI",
  "us virgin islands": "VI", "united states virgin islands": "VI",
  "w va": "WV", "no carolina": "NC", "so carolina": "SC", "no dakota": "ND", "so dakota": "SD",
  "n dak": "ND", "s dak": "SD", "hawai i": "HI", "cali": "CA",
};

/** Names written for a place the tables know under another name: [written, state, name]. */
const CITY_ALIASES: readonly (readonly [string, string, string])[] = [
  ["New York City", "NY", "New York"],
  ["NYC", "NY", "New York"],
];

/** Values that mean "no value" (compared trimmed and lower-cased). */
// prettier-ignore
const MISSING = new Set([
  "none", "null", "nil", "undefined", "n/a", "n.a.", "nan", "-", "--", "?", "??", "unknown",
]);

/** The country field's US spellings, letters only, lower case ("U.S.A." -> "usa"). */
// prettier-ignore
const US_SPELLINGS = new Set([
  "us", "usa", "unitedstates", "unitedstatesofamerica", "theunitedstates",
  "theunitedstatesofamerica", "usofamerica", "america",
]);

/** Words written short in place names, expanded when comparing ("St. Louis" = "Saint Louis"). */
const ABBREVIATIONS = new Map([
  ["st", "saint"],
  ["ste", "sainte"],
  ["ft", "fort"],
  ["mt", "mount"],
]);

/** Short words left in lower case inside names without a known spelling ("Isle of Palms"). */
const SMALL_WORDS = new Set(["of", "the", "on", "by", "in", "upon", "and", "at"]);

const WHITESPACE_RUN = /\s+/g;
const NOT_LETTERS = /[^a-z]+/g;
const NOT_ALPHANUMERIC = /[^a-z0-9]+/;
const PERIODS = /\./g;
const NON_ASCII = /[\u0080-\uffff]/;
const COMBINING_MARKS = /[\u0300-\u036f]/g;
const HAS_LETTER = /\p{L}/u;
const TWO_LETTERS = /^[A-Za-z]{2}$/;
const THREE_LETTERS = /^[A-Za-z]{3}$/;
const NUMERIC_CODE = /^\d{3}$/;
const PARENTHESES = /[()]/g;
const FIVE_DIGITS = /^\d{5}$/;
/** Three to five digits, maybe a ZIP+4 extension (backtracking reads "21101234" as 2110 + 1234). */
const ZIP = /^(\d{3,5})(?:[-\s]?\d{4})?$/;

/** State names and codes by the forms they are looked up in (exact, and simplified). */
const STATE_LOOKUP: ReadonlyMap<string, string> = (() => {
  const map = new Map<string, string>();
  for (const [code, name] of Object.entries(STATE_NAMES)) {
    map.set(code, code);
    map.set(code.toLowerCase(), code);
    map.set(name, code);
    map.set(simplifyState(name), code);
  }
  for (const [alias, code] of Object.entries(STATE_ALIASES)) map.set(alias, code);
  return map;
})();

/** Lower case, periods removed, any other run of non-letters one space: "U.S.-CA " -> "us ca". */
function simplifyState(text: string): string {
  return text.toLowerCase().replace(PERIODS, "").replace(NOT_LETTERS, " ").trim();
}

/** A field as trimmed text: strings and finite numbers; null when missing or a "no value" word. */
function fieldText(raw: unknown): string | null {
  let text: string;
  if (typeof raw === "string") {
    text = raw;
    // A tab or line break (U+0009–U+000D) between words stays a space; the others go.
    if (INVISIBLE.test(text))
      text = text.replace(INVISIBLE_ALL, c => (c <= "\r" && c >= "\t" ? " " : ""));
    text = text.trim();
  } else if (typeof raw === "number" && Number.isFinite(raw)) text = String(raw);
  else return null;
  if (text.length === 0 || (text.length <= 9 && MISSING.has(text.toLowerCase()))) return null;
  return text;
}

/** USPS code from a code in any case, a name ("new york "), an ISO form ("US-IN"); else null. */
export function normalizeState(raw: unknown): string | null {
  const text = fieldText(raw);
  if (text === null) return null;
  const exact = STATE_LOOKUP.get(text);
  if (exact !== undefined) return exact;
  const simple = simplifyState(text);
  return (
    STATE_LOOKUP.get(simple) ??
    (simple.startsWith("us ") ? STATE_LOOKUP.get(simple.slice(3)) : undefined) ??
    (simple.startsWith("usa ") ? STATE_LOOKUP.get(simple.slice(4)) : undefined) ??
    null
  );
}

/**
 * Five-digit ZIP code: ZIP+4 cut to five digits, a code that lost its leading zero (a number, or
 * text from a spreadsheet) padded back: four digits always, three only into the real 005xx-009xx
 * range; anything else null.
 */
export function normalizePostCode(raw: unknown): string | null {
  const text = fieldText(raw);
  if (text === null) return null;
  const digits = ZIP.exec(text)?.[1];
  if (digits === undefined) return null;
  if (digits.length === 5) return digits === "00000" ? null : digits;
  if (digits.length === 4) return digits === "0000" ? null : `0${digits}`;
  return digits >= "5" ? `00${digits}` : null;
}

/**
 * "US" for every US spelling (and 840, its ISO number); another country as its ISO 3166-1 alpha-2
 * code, from its English name or its alpha-2, alpha-3 or numeric code ("france", "FRA", "250" ->
 * "FR"; "UK" -> "GB"); other two letters upper-cased; other names capitalised, without
 * parentheses (a report key puts the country in them); or null (also for a number that is no code).
 */
export function normalizeCountry(raw: unknown): string | null {
  if (raw === "US") return "US";
  const text = fieldText(raw);
  if (text === null) return null;
  if (text === "840" || US_SPELLINGS.has(text.toLowerCase().replace(NOT_LETTERS, ""))) return "US";
  const spaced = text.replace(WHITESPACE_RUN, " ");
  if (TWO_LETTERS.test(spaced)) {
    const upper = spaced.toUpperCase();
    return isoCountries.isValid(upper) ? upper : (countryByName(upper) ?? upper);
  }
  // Numeric codes are three digits ("036"): a shorter number is more likely a dialling code.
  const code = NUMERIC_CODE.test(spaced)
    ? isoCountries.numericToAlpha2(spaced)
    : THREE_LETTERS.test(spaced)
      ? isoCountries.alpha3ToAlpha2(spaced.toUpperCase())
      : countryByName(spaced);
  if (code !== undefined) return code;
  // Without a letter it names no country ("44", "+49"): unknown, rather than a report key of
  // digits, which a JSON object would list first whatever its count.
  if (!HAS_LETTER.test(spaced)) return null;
  const name = spaced.replace(PARENTHESES, " ").replace(WHITESPACE_RUN, " ").trim();
  return name === "" ? null : capitaliseCity(name);
}

/** A country name as names are compared: lower case, no accents, single spaces. */
function countryNameKey(name: string): string {
  let text = name.toLowerCase().replace(WHITESPACE_RUN, " ").trim();
  if (NON_ASCII.test(text)) text = text.normalize("NFD").replace(COMBINING_MARKS, "");
  return text;
}

let countriesByName: Map<string, string> | undefined;

/** The code of a country's English name or alias (the library's own lookup scans every name). */
function countryByName(name: string): string | undefined {
  if (countriesByName === undefined) {
    countriesByName = new Map();
    for (const [code, names] of Object.entries(isoCountries.getNames("en", { select: "all" }))) {
      for (const n of names) countriesByName.set(countryNameKey(n), code);
    }
  }
  return countriesByName.get(countryNameKey(name));
}

/** The US territories with a USPS code of their own, which people also write as the country. */
const TERRITORIES = new Set(["PR", "VI", "GU", "AS", "MP"]);

/** The USPS code of a territory written as the country ("Puerto Rico", "PR"), else null. */
export function territoryOf(raw: unknown): string | null {
  const code = normalizeState(raw);
  return code !== null && TERRITORIES.has(code) ? code : null;
}

/** The form place names are compared in: "St. Louis", "SAINT-LOUIS" -> "saintlouis". */
export function placeKey(name: string): string {
  let text = name.toLowerCase();
  if (NON_ASCII.test(text)) text = text.normalize("NFD").replace(COMBINING_MARKS, "");
  let key = "";
  for (const word of text.split(NOT_ALPHANUMERIC)) key += ABBREVIATIONS.get(word) ?? word;
  return key;
}

/** A ZIP code written after a state in one part of a city field: "TX 75201". */
const STATE_THEN_ZIP = /^(.*\S)\s+(\d{5}(?:-?\d{4})?)$/;
/** A part of a city field that is a ZIP code of five digits (or ZIP+4) on its own. */
const ZIP_PART = /^\d{5}(?:-?\d{4})?$/;

/**
 * A city field split from a state (and a ZIP code, a country) after its commas:
 * "Tomball, Texas" -> Tomball + TX; "St. Louis, MO, 63101" and "Dallas, TX 75201, USA" keep the ZIP.
 */
export function splitCity(text: string): {
  city: string;
  state: string | null;
  postCode: string | null;
} {
  if (!text.includes(",")) return { city: text, state: null, postCode: null };
  const parts = text
    .split(",")
    .map(p => p.trim())
    .filter(p => p.length > 0);
  let postCode: string | null = null;
  for (;;) {
    const last = parts.at(-1) ?? "";
    if (parts.length < 2) break;
    if (normalizeCountry(last) === "US") parts.pop();
    else if (postCode === null && ZIP_PART.test(last)) {
      postCode = normalizePostCode(last);
      parts.pop();
    } else break;
  }
  let state: string | null = null;
  if (parts.length > 1) {
    const last = parts.at(-1) ?? "";
    const withZip = STATE_THEN_ZIP.exec(last);
    const zipState = withZip === null ? null : normalizeState(withZip[1]);
    if (withZip !== null && zipState !== null && postCode === null) {
      state = zipState;
      postCode = normalizePostCode(withZip[2]);
    } else state = normalizeState(last);
    if (state !== null) parts.pop();
  }
  return { city: parts.join(", "), state, postCode };
}

/** True for a word already written in mixed case ("DeKalb", "McAllen"): kept as written. */
function isMixedCase(word: string): boolean {
  const first = word.charAt(0);
  if (first === first.toLowerCase() || word === word.toUpperCase()) return false;
  let previousUpper = false;
  for (const ch of word) {
    const upper = ch !== ch.toLowerCase();
    if (upper && previousUpper) return false;
    previousUpper = upper;
  }
  return true;
}

/** One hyphen-free piece: first letter up, and after "O'"-like prefixes, periods and "Mc". */
function capitalisePiece(piece: string): string {
  let out = "";
  let up = true;
  for (let i = 0; i < piece.length; i++) {
    const ch = piece.charAt(i);
    out += up ? ch.toUpperCase() : ch;
    if (ch !== ch.toUpperCase()) up = false;
    if (ch === "." || ((ch === "'" || ch === "\u2019") && i === 1)) up = true;
  }
  return out.length > 2 && out.startsWith("Mc")
    ? `Mc${out.charAt(2).toUpperCase()}${out.slice(3)}`
    : out;
}

/**
 * Word-wise capitalisation for names without a known spelling: "winston-salem" -> "Winston-Salem",
 * "o'fallon" -> "O'Fallon", "mcallen" -> "McAllen", "isle of palms" -> "Isle of Palms".
 */
export function capitaliseCity(text: string): string {
  return text
    .split(" ")
    .map((word, i) => {
      if (isMixedCase(word)) return word;
      return word
        .toLowerCase()
        .split("-")
        .map((piece, j) => (i + j > 0 && SMALL_WORDS.has(piece) ? piece : capitalisePiece(piece)))
        .join("-");
    })
    .join(" ");
}

/** What a report shows for a state or country that is unknown. */
export const UNKNOWN = "??";

/**
 * The key reports group by: "Houston, TX"; "Houston, ??" when the state is unknown; a city of
 * another country with that country in parentheses, "Paris (FR)" (no state is kept for them, and
 * their two-letter codes would read as US states: CA, DE, IN).
 */
export function cityKey(a: CleanAddress): string {
  if (a.country !== null && a.country !== "US") return `${a.city} (${a.country})`;
  return `${a.city}, ${a.state ?? UNKNOWN}`;
}

/** The same key in SQL, over the columns city, state and country of user_events. */
export const CITY_KEY_SQL = `CASE WHEN country IS NOT NULL AND country <> 'US'
  THEN city || ' (' || country || ')' ELSE city || ', ' || COALESCE(state, '${UNKNOWN}') END`;

const US_CITY_KEY = /^(.*), ([A-Z]{2}|\?\?)$/s;

/**
 * The city, state and country of a cityKey: a US key gives the state (undefined when unknown) and
 * "US" when the state is known; another country's key gives that country.
 */
export function splitCityKey(key: string): {
  city: string;
  state: string | undefined;
  country: string | undefined;
} {
  const us = US_CITY_KEY.exec(key);
  if (us !== null) {
    const state = us[2] === UNKNOWN ? undefined : us[2];
    return { city: us[1] ?? "", state, country: state === undefined ? undefined : "US" };
  }
  // "City (Country)": the country holds no parentheses (normalizeCountry drops them).
  const open = key.lastIndexOf(" (");
  if (open > 0 && key.endsWith(")"))
    return { city: key.slice(0, open), state: undefined, country: key.slice(open + 2, -1) };
  return { city: key, state: undefined, country: undefined };
}

let loadedTables: GeoTables | undefined;

/** The generated tables (read once per process). */
export function loadGeoTables(): GeoTables {
  if (loadedTables !== undefined) return loadedTables;
  const { zipsFile, cityNamesFile } = geoFiles();
  for (const file of [zipsFile, cityNamesFile]) {
    if (!fs.existsSync(file)) {
      throw new Error(
        `${file} is missing: run "npm run build" (it generates the geography tables)`,
      );
    }
  }
  loadedTables = {
    zips: JSON.parse(fs.readFileSync(zipsFile, "utf8")) as GeoTables["zips"],
    placeNames: JSON.parse(fs.readFileSync(cityNamesFile, "utf8")) as PlaceName[],
  };
  return loadedTables;
}

/**
 * Spelling dictionaries, per state and for any state: from placeKey(name), and from each exact
 * spelling (a shortcut past placeKey), to the name to write. Earlier entries win.
 */
function buildSpellings(tables: GeoTables) {
  const byState = new Map<string, Map<string, string>>();
  const anyState = new Map<string, string>();
  const entries: (readonly [string, string, string?])[] = [...CITY_ALIASES, ...tables.placeNames];
  for (const [city, state] of Object.values(tables.zips)) entries.push([city, state]);
  for (const [name, state, writeAs] of entries) {
    let spellings = byState.get(state);
    if (spellings === undefined) byState.set(state, (spellings = new Map<string, string>()));
    const key = placeKey(name);
    if (!spellings.has(key)) spellings.set(key, writeAs ?? name);
    if (!anyState.has(key)) anyState.set(key, writeAs ?? name);
  }
  // Keys are lower-case alphanumerics, exact spellings are not: the two do not clash.
  for (const [name, state] of entries) {
    const spellings = byState.get(state);
    const written = spellings?.get(placeKey(name));
    if (spellings !== undefined && written !== undefined && !spellings.has(name)) {
      spellings.set(name, written);
    }
  }
  return { byState, anyState };
}

/** A normaliser over the given tables (by default the generated ones). */
export function createNormalizer(tables: GeoTables = loadGeoTables()): Normalizer {
  const zips = new Map<string, readonly [string, string]>(Object.entries(tables.zips));
  const { byState, anyState } = buildSpellings(tables);

  const knownIn = (text: string, state: string): boolean => {
    const spellings = byState.get(state);
    return spellings !== undefined && (spellings.has(text) || spellings.has(placeKey(text)));
  };

  const spell = (text: string, state: string | null, us: boolean): string => {
    if (!us) return capitaliseCity(text);
    const spellings = state === null ? undefined : byState.get(state);
    const exact = spellings?.get(text);
    if (exact !== undefined) return exact;
    const key = placeKey(text);
    return spellings?.get(key) ?? anyState.get(key) ?? capitaliseCity(text);
  };

  /**
   * A state (and maybe a ZIP code) after the city with no comma: "Dallas TX", "Washington D.C.",
   * "Charlotte North Carolina", "Dallas TX 75201". Split off only where something confirms it: the
   * state field or the ZIP code names that state, or the rest is a place of that state while the
   * whole text is not (no real place loses a word).
   */
  const splitTrailingState = (
    text: string,
    stateField: string | null,
    zipField: string | null,
  ): { city: string; state: string; postCode: string | null } | undefined => {
    const words = text.split(" ");
    let postCode: string | null = null;
    if (words.length > 2 && ZIP_PART.test(words.at(-1) ?? "")) {
      postCode = normalizePostCode(words.pop());
    }
    for (let n = Math.min(3, words.length - 1); n >= 1; n--) {
      const state = normalizeState(words.slice(-n).join(" "));
      if (state === null) continue;
      const city = words.slice(0, -n).join(" ");
      const whole = words.join(" ");
      if (knownIn(whole, state)) return undefined;
      const zipState = zips.get(postCode ?? zipField ?? "")?.[1];
      if (state === stateField || state === zipState || knownIn(city, state)) {
        return { city, state, postCode };
      }
    }
    return undefined;
  };

  return {
    address(raw) {
      // A territory given as the country is a state of the US address, as the USPS has it (their
      // ISO codes are their USPS codes: "PRI" -> PR).
      let countryState = raw.country === "US" ? null : territoryOf(raw.country);
      let country = countryState === null ? normalizeCountry(raw.country) : "US";
      if (country !== null && TERRITORIES.has(country)) [countryState, country] = [country, "US"];
      // A US state written as the country ("Georgia", "Ind"), when the ZIP code says that state
      // too, or the state field does and the country field is more than a two-letter code (CA
      // alone is Canada): a US address of that state.
      if (country !== null && country !== "US") {
        const stated = normalizeState(raw.country);
        if (stated !== null) {
          const zipState = zips.get(normalizePostCode(raw.postCode) ?? "")?.[1];
          const long = (fieldText(raw.country)?.length ?? 0) > 2;
          if (zipState === stated || (long && normalizeState(raw.state) === stated))
            [countryState, country] = [stated, "US"];
        }
      }
      const us = country === null || country === "US";
      const fieldState = us ? normalizeState(raw.state) : null;
      const fieldZip = us ? normalizePostCode(raw.postCode) : null;

      let cityText = fieldText(raw.city);
      let cityState: string | null = null;
      let cityPostCode: string | null = null;
      if (cityText !== null) {
        if (cityText.includes(","))
          ({ city: cityText, state: cityState, postCode: cityPostCode } = splitCity(cityText));
        cityText = cityText.replace(WHITESPACE_RUN, " ");
        // A place of the state field as written (every clean event) needs no further look.
        if (
          us &&
          cityState === null &&
          cityText.includes(" ") &&
          !(fieldState !== null && knownIn(cityText, fieldState))
        ) {
          const split = splitTrailingState(cityText, fieldState, fieldZip);
          if (split !== undefined) {
            ({ city: cityText, state: cityState } = split);
            cityPostCode ??= split.postCode;
          }
        }
        if (!HAS_LETTER.test(cityText) || MISSING.has(cityText.toLowerCase())) cityText = null;
      }

      let state = us ? (fieldState ?? cityState ?? countryState) : null;
      // Padding and ZIP+4 are US rules: elsewhere only a code written as five digits is kept.
      let postCode = us ? (fieldZip ?? cityPostCode) : fieldText(raw.postCode);
      if (!us && postCode !== null && !FIVE_DIGITS.test(postCode)) postCode = null;
      const zip = us && postCode !== null ? zips.get(postCode) : undefined;
      if (zip !== undefined && state !== zip[1]) {
        const stateConfirmed =
          state !== null &&
          cityText !== null &&
          knownIn(cityText, state) &&
          !knownIn(cityText, zip[1]);
        if (stateConfirmed) postCode = null;
        else state = zip[1];
      }
      if (country === null && (state !== null || zip !== undefined)) country = "US";

      let city = "Unknown";
      if (cityText !== null) city = spell(cityText, state, us);
      else if (zip !== undefined && postCode !== null) city = spell(zip[0], zip[1], true);
      return { city, state, country, postCode };
    },
  };
}
