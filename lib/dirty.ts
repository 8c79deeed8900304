/**
 * Messy versions of clean addresses, as real users write them: odd case, stray spaces, states as
 * names or ISO codes or not at all, the state in the city field, ZIP+4, ZIP codes that lost their
 * leading zero, "USA" for "US". Each kind is one the normaliser (lib/normalize.ts) undoes, so that
 * normalizer.address(makeDirty(clean, next)) gives clean back; tests and generated traffic use it.
 */
import { STATE_NAMES, type CleanAddress, type RawAddress } from "./normalize";

/** A uniform pick in [0, n) from a uint32 source. */
function pick(next: () => number, n: number): number {
  return next() % n;
}

/** Replaces whole words: `from` -> `to` wherever `from` stands between spaces or the ends. */
function swapWord(city: string, from: string, to: string): string {
  return city
    .split(" ")
    .map(w => (w === from ? to : w))
    .join(" ");
}

/** "St." / "Saint" / "Fort" / "Mount" written another usual way. */
function abbreviationVariant(city: string, next: () => number): string {
  const forms: readonly (readonly string[])[] = [
    ["St.", "St", "Saint", "ST"],
    ["Ft.", "Ft", "Fort"],
    ["Mt.", "Mt", "Mount"],
  ];
  const words = city.split(" ");
  for (const group of forms) {
    const found = group.find(form => words.includes(form));
    if (found === undefined) continue;
    const others = group.filter(form => form !== found);
    return swapWord(city, found, others[pick(next, others.length)] ?? found);
  }
  return city;
}

function dirtyCity(city: string, next: () => number): string {
  switch (pick(next, 8)) {
    case 0:
      return city.toUpperCase();
    case 1:
      return city.toLowerCase();
    case 2:
      return ` ${city.replaceAll(" ", "  ")} `;
    case 3:
      return `${city} `;
    case 4:
      return abbreviationVariant(city, next);
    case 5:
      // Punctuation lost: "Winston Salem", "St Louis".
      return city.replaceAll("-", " ").replaceAll(".", "");
    default:
      return city;
  }
}

/** The state's code or name written one of the usual ways; undefined and friends for "missing". */
function dirtyState(state: string, next: () => number): unknown {
  const name = STATE_NAMES[state] ?? state;
  switch (pick(next, 12)) {
    case 0:
      return state.toLowerCase();
    case 1:
      return state.charAt(0) + state.slice(1).toLowerCase();
    case 2:
      return name;
    case 3:
      return `${name.toUpperCase()} `;
    case 4:
      return name.toLowerCase();
    case 5:
      return `US-${state}`;
    case 6:
      return `us-${state.toLowerCase()}`;
    case 7:
      return [null, undefined, "", "None", "null", "N/A"][pick(next, 6)];
    case 8:
      return ` ${state} `;
    default:
      return state;
  }
}

/**
 * The state written into the city field: "Bloomfield, NJ", "Tomball, Texas", "Murfreesboro,",
 * "Dallas TX".
 */
function cityWithState(city: string, state: string, next: () => number): string {
  switch (pick(next, 5)) {
    case 3:
      return `${city} ${state}`;
    case 0:
      return `${city}, ${state}`;
    case 1:
      return `${city}, ${STATE_NAMES[state] ?? state}`;
    case 2:
      return `${city},${state}`;
    default:
      return `${city},`;
  }
}

function dirtyPostCode(zip: string, next: () => number): unknown {
  switch (pick(next, 8)) {
    case 0:
      return `${zip} `;
    case 1:
      return `${zip}-${String(pick(next, 10_000)).padStart(4, "0")}`;
    case 2:
      return `${zip}${String(pick(next, 10_000)).padStart(4, "0")}`;
    case 3:
      // A number: "02110" becomes 2110, as spreadsheets and JSON encoders do.
      return Number(zip);
    case 4:
      return zip.startsWith("0") ? zip.slice(1) : zip;
    default:
      return zip;
  }
}

const US_SPELLINGS: readonly unknown[] = [
  "USA",
  "U.S.",
  "U.S.A.",
  "United States",
  "united states of america",
  " us",
  "UNITED STATES",
  "usa ",
  null,
  undefined,
  "",
];

/**
 * A realistically messy version of a clean address, drawn from `next` (a uint32 source such as
 * sfc32): the same sequence gives the same result. Null fields stay missing.
 */
export function makeDirty(clean: CleanAddress, next: () => number): RawAddress {
  const raw: RawAddress = {};
  let city = dirtyCity(clean.city, next);
  if (clean.state !== null && pick(next, 6) === 0) {
    city = cityWithState(city, clean.state, next);
  }
  raw.city = city;
  if (clean.state !== null) raw.state = dirtyState(clean.state, next);
  if (clean.country !== null) {
    raw.country =
      clean.country === "US" && pick(next, 2) === 0
        ? US_SPELLINGS[pick(next, US_SPELLINGS.length)]
        : clean.country;
  }
  if (clean.postCode !== null) raw.postCode = dirtyPostCode(clean.postCode, next);
  return raw;
}
