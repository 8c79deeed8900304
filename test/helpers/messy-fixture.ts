// Writes a CSV in the original system's format (id,address,inserted_at with Python dict addresses)
// full of the messy forms real data has, together with the clean answer expected for every row.
// The expectations are written by hand here, independently of lib/normalize.ts.
import fs from "node:fs";
import { uuidFromWords } from "../../lib/generator";
import { sfc32 } from "../../lib/prng";

export interface TruthPlace {
  key: string; // "City, ST" (or "City (CC)") as the report must show it
  state: string | null;
  country: string; // as by=country must show it
  csv: string; // city,state,country as the CSV report must show them
  variants: {
    city: string;
    state: string | null;
    postCode: string | number | null;
    country: string | null;
  }[];
}

export const TRUTH: TruthPlace[] = [
  {
    key: "Holland, MI",
    state: "MI",
    country: "US",
    csv: "Holland,MI,US",
    variants: [
      { city: "Holland", state: "MI", postCode: "49423", country: "US" },
      { city: "holland ", state: "Mi", postCode: "49423", country: "USA" },
      { city: "HOLLAND", state: "Michigan ", postCode: "49423-1234", country: "United States" },
      { city: " Holland", state: "US-MI", postCode: 49423, country: "united states of america" },
      { city: "Holland", state: null, postCode: "49423", country: "US" },
    ],
  },
  {
    key: "South Holland, IL",
    state: "IL",
    country: "US",
    csv: "South Holland,IL,US",
    variants: [
      { city: "SOUTH HOLLAND", state: "IL", postCode: "60473", country: "US" },
      { city: "south  holland", state: "Illinois", postCode: "60473", country: "US" },
    ],
  },
  {
    key: "St. Louis, MO",
    state: "MO",
    country: "US",
    csv: "St. Louis,MO,US",
    variants: [
      { city: "St. Louis", state: "MO", postCode: "63101", country: "US" },
      { city: "st louis", state: "mo", postCode: "63101", country: "US" },
      { city: "Saint Louis", state: "Missouri", postCode: "63101", country: "USA" },
      { city: "ST. LOUIS", state: "US-MO", postCode: "63101-0001", country: "US" },
    ],
  },
  {
    key: "McAllen, TX",
    state: "TX",
    country: "US",
    csv: "McAllen,TX,US",
    variants: [
      { city: "MCALLEN", state: "TX", postCode: "78501", country: "US" },
      { city: "mcallen", state: "Texas", postCode: "78501", country: "US" },
      { city: "Mcallen", state: "tx", postCode: 78501, country: "US" },
    ],
  },
  {
    key: "Winston-Salem, NC",
    state: "NC",
    country: "US",
    csv: "Winston-Salem,NC,US",
    variants: [
      { city: "winston-salem", state: "NC", postCode: "27101", country: "US" },
      { city: "WINSTON-SALEM ", state: "North Carolina", postCode: "27101", country: "US" },
    ],
  },
  {
    key: "Boston, MA",
    state: "MA",
    country: "US",
    csv: "Boston,MA,US",
    variants: [
      { city: "Boston", state: "MA", postCode: "2110", country: "US" },
      { city: "boston", state: "ma", postCode: 2110, country: "US" },
      { city: "BOSTON", state: "Massachusetts", postCode: "02110-4321", country: "US" },
    ],
  },
  {
    key: "Bloomfield, NJ",
    state: "NJ",
    country: "US",
    csv: "Bloomfield,NJ,US",
    variants: [
      { city: "Bloomfield, NJ", state: null, postCode: "07003", country: "US" },
      { city: "bloomfield, nj", state: "", postCode: 7003, country: "US" },
    ],
  },
  {
    key: "Tomball, TX",
    state: "TX",
    country: "US",
    csv: "Tomball,TX,US",
    variants: [{ city: "Tomball, Texas", state: null, postCode: "77375", country: "US" }],
  },
  {
    key: "Murfreesboro, TN",
    state: "TN",
    country: "US",
    csv: "Murfreesboro,TN,US",
    variants: [
      { city: "Murfreesboro,", state: "TN", postCode: "37130", country: "US" },
      { city: "murfreesboro", state: "Tennessee ", postCode: "37130", country: "US" },
    ],
  },
  {
    key: "Baltimore, MD",
    state: "MD",
    country: "US",
    csv: "Baltimore,MD,US",
    variants: [
      { city: "baltimore", state: "md", postCode: "21201", country: "US" },
      { city: "BALTIMORE ", state: "Maryland", postCode: "21201", country: "US" },
    ],
  },
  {
    key: "Springfield, ??",
    state: null,
    country: "US",
    csv: "Springfield,,",
    variants: [
      { city: "Springfield", state: null, postCode: "n/a", country: "US" },
      { city: "springfield", state: "", postCode: null, country: "US" },
    ],
  },
  {
    // Another country: keyed with it, never merged with a US place of the same name.
    key: "Paris (FR)",
    state: null,
    country: "FR",
    csv: "Paris,,FR",
    variants: [
      { city: "paris", state: null, postCode: "75001", country: "France" },
      { city: "PARIS ", state: "Ile-de-France", postCode: "75001", country: "FRA" },
      { city: "Paris", state: null, postCode: null, country: "fr" },
    ],
  },
];

export const DAYS = ["2019-05-06", "2019-05-07", "2019-05-08"] as const;

export interface FixtureRow {
  line: number;
  id: string;
  key: string;
  state: string | null;
  country: string;
  day: (typeof DAYS)[number];
}

const py = (v: string | number | null): string =>
  v === null
    ? "None"
    : typeof v === "number"
      ? String(v)
      : `'${v.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

/**
 * Writes `rows` valid rows (cycling through places, variants and days), then the broken rows listed
 * in BROKEN, and a copy of the first row (same id) at the end. Returns the expected rows.
 */
export function writeMessyCsv(file: string, rows: number): FixtureRow[] {
  const next = sfc32([7, 11, 13, 17]);
  const lines = ["id,address,inserted_at"];
  const truth: FixtureRow[] = [];
  for (let i = 0; i < rows; i++) {
    const place = TRUTH[i % TRUTH.length] as TruthPlace;
    const v = place.variants[Math.floor(i / TRUTH.length) % place.variants.length]!;
    const day = DAYS[i % DAYS.length]!;
    const id = uuidFromWords(next(), next(), next(), next());
    const time = `${String(i % 24).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}:07.${String(i % 1000).padStart(3, "0")}`;
    const address = `{'city': ${py(v.city)}, 'state': ${py(v.state)}, 'country': ${py(v.country)}, 'postCode': ${py(v.postCode)}}`;
    lines.push(`${id},"${address.replace(/"/g, '""')}",${day} ${time}`);
    truth.push({
      line: lines.length,
      id,
      key: place.key,
      state: place.state,
      country: place.country,
      day,
    });
  }
  lines.push(...BROKEN.map(b => b.text));
  // A row seen before: must change no count.
  lines.push(lines[1] as string);
  fs.writeFileSync(file, lines.join("\n") + "\n");
  return truth;
}

/** Rows that must be rejected, each on its own. */
export const BROKEN = [
  { text: `not-a-uuid,"{'city': 'Holland', 'state': 'MI'}",2019-05-07 10:00:00`, reason: /UUID/i },
  {
    text: `0f8fad5b-d9cb-469f-a165-70867728950e,"{'city': '', 'state': 'MI'}",2019-05-07 10:00:00`,
    reason: /city/i,
  },
  {
    text: `7c9e6679-7425-40de-944b-e07fc1f90ae7,"{'city': 'Holland', 'state': 'MI'}",yesterday`,
    // Named as the file names it: the inserted_at column.
    reason: /inserted_at "yesterday" is not a date-time/,
  },
  {
    text: `1b4e28ba-2fa1-4d2b-883f-0016d3cca427,"{'city': 'Holland'",2019-05-07 10:00:00`,
    reason: /Python dict/i,
  },
  {
    text: `2c5ea4c0-4067-41e9-8bad-9b1deb4d3b7d,"{'city': 'Holland'}"x,2019-05-07 10:00:00`,
    reason: /Python dict/i,
  },
];
