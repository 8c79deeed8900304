import { describe, expect, it } from "vitest";
import {
  capitaliseCity,
  cityKey,
  createNormalizer,
  normalizeCountry,
  normalizePostCode,
  normalizeState,
  placeKey,
  splitCity,
  splitCityKey,
  type CleanAddress,
  type GeoTables,
  type RawAddress,
} from "../../lib/normalize";
import { usPlaces } from "../../lib/places";

describe("normalizeState", () => {
  it.each<[unknown, string | null]>([
    ["CA", "CA"],
    ["Ca", "CA"],
    ["md", "MD"],
    [" TX ", "TX"],
    ["Texas", "TX"],
    ["California ", "CA"],
    ["new york", "NY"],
    ["NEW  HAMPSHIRE", "NH"],
    ["District of Columbia", "DC"],
    ["D.C.", "DC"],
    ["Washington, D.C.", "DC"],
    ["US-IN", "IN"],
    ["us-ca", "CA"],
    ["US-New York", "NY"],
    ["Calif.", "CA"],
    ["N.J.", "NJ"],
    ["W.Va.", "WV"],
    ["W. Va.", "WV"],
    ["No. Carolina", "NC"],
    ["S. Dak.", "SD"],
    ["Hawai'i", "HI"],
    ["USA-CA", "CA"],
    ["Puerto Rico", "PR"],
    ["u.s. virgin islands", "VI"],
    [null, null],
    [undefined, null],
    ["", null],
    ["None", null],
    ["null", null],
    ["N/A", null],
    ["XX", null],
    ["Ontario", null],
    [42, null],
    [{ code: "TX" }, null],
  ])("%j -> %j", (raw, expected) => {
    expect(normalizeState(raw)).toBe(expected);
  });
});

describe("normalizePostCode", () => {
  it.each<[unknown, string | null]>([
    ["35068", "35068"],
    ["35068 ", "35068"],
    [" 35068", "35068"],
    ["02110-1234", "02110"],
    ["0000", null],
    ["02110-1234 ext. office bldg", null],
    [-89501, null],
    [2110.5, null],
    ["02110 1234", "02110"],
    ["021101234", "02110"],
    ["2110", "02110"],
    [2110, "02110"],
    [35068, "35068"],
    ["21101234", "02110"],
    [601, "00601"],
    ["501", "00501"],
    ["123", null],
    ["00000", null],
    ["n/a", null],
    ["", null],
    [null, null],
    ["3506", "03506"],
    ["350689", null],
    ["35068-12", null],
    ["ABC12", null],
    [2110.5, null],
    [-2110, null],
    [true, null],
  ])("%j -> %j", (raw, expected) => {
    expect(normalizePostCode(raw)).toBe(expected);
  });
});

describe("normalizeCountry", () => {
  it.each<[unknown, string | null]>([
    ["US", "US"],
    ["us", "US"],
    ["USA", "US"],
    [" usa ", "US"],
    ["U.S.", "US"],
    ["U.S.A.", "US"],
    ["U. S. A.", "US"],
    ["United States", "US"],
    ["America", "US"],
    ["The United States", "US"],
    ["U.S. of America", "US"],
    ["UNITED STATES", "US"],
    ["united states of america", "US"],
    ["ca", "CA"],
    [" de", "DE"],
    ["Canada ", "CA"],
    ["United  Kingdom", "GB"],
    ["canada", "CA"],
    ["CANADA", "CA"],
    ["the netherlands", "NL"],
    ["Germany", "DE"],
    ["FRA", "FR"],
    ["fra", "FR"],
    ["250", "FR"],
    ["036", "AU"],
    // A number that is no ISO code (a dialling code, not ISO 044) names no country: unknown,
    // not a report key of digits (a JSON object would list it first, whatever its count).
    ["44", null],
    [49, null],
    ["+49", null],
    ["999", null],
    ["1234", null],
    ["??", null],
    ["Georgia", "GE"], // the country, unless the address says the US state (address tests)
    ["UK", "GB"],
    ["Great Britain", "GB"],
    ["South Korea", "KR"],
    ["Czechia", "CZ"],
    ["Ivory Coast", "CI"],
    ["840", "US"],
    // Not a country the ISO list knows: its name, capitalised, without parentheses.
    ["narnia", "Narnia"],
    ["narnia (north)", "Narnia North"],
    ["ZZ", "ZZ"],
    ["()", null],
    ["", null],
    [null, null],
    ["None", null],
  ])("%j -> %j", (raw, expected) => {
    expect(normalizeCountry(raw)).toBe(expected);
  });
});

describe("capitaliseCity (names the dictionary does not know)", () => {
  it.each([
    ["SOUTH HOLLAND", "South Holland"],
    ["baltimore", "Baltimore"],
    ["mcsomewhere", "McSomewhere"],
    ["o'neverland", "O'Neverland"],
    ["d'iberville", "D'Iberville"],
    ["lee's summit", "Lee's Summit"],
    ["winston-salem", "Winston-Salem"],
    ["CARMEL-BY-THE-SEA", "Carmel-by-the-Sea"],
    ["isle of palms", "Isle of Palms"],
    ["st. nowhere", "St. Nowhere"],
    ["DeForest", "DeForest"],
    ["hOUSTON", "Houston"],
    ["the colony", "The Colony"],
  ])("%j -> %j", (raw, expected) => {
    expect(capitaliseCity(raw)).toBe(expected);
  });
});

describe("placeKey", () => {
  it.each([
    ["St. Louis", "Saint Louis"],
    ["ST LOUIS", "Saint-Louis"],
    ["Ft Worth", "Fort Worth"],
    ["Mt. Pleasant", "MOUNT PLEASANT"],
    ["O'Fallon", "O Fallon"],
    ["Coeur d'Alene", "Coeur D Alene"],
    ["Winston-Salem", "winston salem"],
    ["Kīhei", "Kihei"],
    ["DeKalb", "De Kalb"],
  ])("%j and %j compare equal", (a, b) => {
    expect(placeKey(a)).toBe(placeKey(b));
  });

  it("keeps different names apart", () => {
    expect(placeKey("South Holland")).not.toBe(placeKey("Holland"));
    expect(placeKey("Stamford")).not.toBe(placeKey("Saint Amford"));
  });
});

describe("splitCity", () => {
  it.each<[string, string, string | null, (string | null)?]>([
    ["Bloomfield, NJ", "Bloomfield", "NJ"],
    ["Tomball, Texas", "Tomball", "TX"],
    ["Murfreesboro,", "Murfreesboro", null],
    ["Houston,TX", "Houston", "TX"],
    ["Tomball, Texas, USA", "Tomball", "TX"],
    ["Washington, D.C.", "Washington", "DC"],
    ["Stambaugh, Iron River", "Stambaugh, Iron River", null],
    ["Holland", "Holland", null],
    // A ZIP code after the state, in its part or its own.
    ["St. Louis, MO, 63101", "St. Louis", "MO", "63101"],
    ["Dallas, TX 75201", "Dallas", "TX", "75201"],
    ["Dallas, TX 75201-1234, USA", "Dallas", "TX", "75201"],
    ["Houston, TX, USA, 77002", "Houston", "TX", "77002"],
    ["Houston, 77002", "Houston", null, "77002"],
    ["Springfield, 12", "Springfield, 12", null],
  ])("%j -> %j + %j + %j", (raw, city, state, postCode = null) => {
    expect(splitCity(raw)).toEqual({ city, state, postCode });
  });
});

describe("normalizer.address with the generated tables", () => {
  const normalizer = createNormalizer();
  const us = (city: string, state: string, postCode: string | null = null): CleanAddress => ({
    city,
    state,
    country: "US",
    postCode,
  });

  it.each<[string, RawAddress, CleanAddress]>([
    // Capitalisation and spacing, spelled as GeoNames does.
    [
      "clean",
      { city: "Holland", state: "MI", country: "US", postCode: "49423" },
      us("Holland", "MI", "49423"),
    ],
    ["stray space, lower case", { city: "holland ", state: "mi" }, us("Holland", "MI")],
    // A state after the city without a comma, split off where something confirms it.
    ["state code, no comma", { city: "Dallas TX", state: "TX" }, us("Dallas", "TX")],
    ["D.C., no comma", { city: "Washington D.C.", state: "DC" }, us("Washington", "DC")],
    ["dc in lower case, no state", { city: "washington dc" }, us("Washington", "DC")],
    ["state code, no state field", { city: "Paris TX" }, us("Paris", "TX")],
    ["state name, no comma", { city: "Charlotte North Carolina" }, us("Charlotte", "NC")],
    ["state and ZIP, no comma", { city: "Dallas TX 75201" }, us("Dallas", "TX", "75201")],
    ["a place whose name ends like a state", { city: "Iowa City IA" }, us("Iowa City", "IA")],
    // …and left alone where the whole is a place, or nothing confirms the state.
    ["Texas City", { city: "Texas City", state: "TX" }, us("Texas City", "TX")],
    [
      "Lake in the Hills",
      { city: "Lake In The Hills", state: "IL" },
      us("Lake in the Hills", "IL"),
    ],
    // Control and invisible characters go (a bidi override would turn the report's text around);
    // a tab or line break between words is a space.
    ["NUL and BEL", { city: "Ren\u0000o\u0007", state: "NV" }, us("Reno", "NV")],
    ["right-to-left override", { city: "\u202eReno", state: "NV" }, us("Reno", "NV")],
    ["zero-width space and BOM", { city: "\ufeffRe\u200bno", state: "N\u200bV" }, us("Reno", "NV")],
    ["tab between words", { city: "Las\tVegas", state: "NV" }, us("Las Vegas", "NV")],
    [
      "BOM and soft hyphen inside a word",
      { city: "Re\ufeffn\u00ado", state: "NV" },
      us("Reno", "NV"),
    ],
    ["line break between words", { city: "Las\r\nVegas", state: "NV" }, us("Las Vegas", "NV")],
    ["lone surrogate", { city: "Reno\ud800", state: "NV" }, us("Reno", "NV")],
    [
      "nothing but invisible characters",
      { city: "\u200b\u202e\u0000", state: "NV" },
      { city: "Unknown", state: "NV", country: "US", postCode: null },
    ],
    // A US territory written as the country.
    [
      "territory as the country",
      { city: "San Juan", state: "PR", country: "PR", postCode: "00901" },
      us("San Juan", "PR", "00901"),
    ],
    [
      "territory name as the country",
      { city: "San Juan", country: "Puerto Rico" },
      us("San Juan", "PR"),
    ],
    ["ISO number of the US", { city: "Houston", state: "TX", country: "840" }, us("Houston", "TX")],
    ["upper case", { city: "SOUTH HOLLAND", state: "IL" }, us("South Holland", "IL")],
    [
      "lower case",
      { city: "baltimore", state: "md", postCode: "21201" },
      us("Baltimore", "MD", "21201"),
    ],
    ["inner spaces", { city: "  new   york ", state: "NY" }, us("New York", "NY")],
    ["Mc names", { city: "MCALLEN", state: "TX" }, us("McAllen", "TX")],
    [
      "ZIP database spelling",
      { city: "Mcallen", state: "TX", postCode: "78501" },
      us("McAllen", "TX", "78501"),
    ],
    ["Saint -> St.", { city: "saint louis", state: "mo" }, us("St. Louis", "MO")],
    ["St without period", { city: "ST LOUIS", state: "MO" }, us("St. Louis", "MO")],
    ["Ft -> Fort", { city: "ft worth", state: "TX" }, us("Fort Worth", "TX")],
    ["Mt -> Mount", { city: "Mt. Pleasant", state: "SC" }, us("Mount Pleasant", "SC")],
    [
      "St. -> Saint when GeoNames says Saint",
      { city: "St Paul", state: "MN" },
      us("Saint Paul", "MN"),
    ],
    ["hyphen", { city: "winston salem", state: "nc" }, us("Winston-Salem", "NC")],
    [
      "apostrophe",
      { city: "O FALLON", state: "IL", postCode: "62269" },
      us("O'Fallon", "IL", "62269"),
    ],
    ["apostrophe and d'", { city: "coeur d alene", state: "Idaho" }, us("Coeur d'Alene", "ID")],
    ["spelling of the state's own place", { city: "de kalb", state: "IL" }, us("DeKalb", "IL")],
    ["same name, another state's spelling", { city: "DEKALB", state: "MS" }, us("De Kalb", "MS")],
    ["GeoNames' accents", { city: "canon city", state: "CO" }, us("Cañon City", "CO")],
    ["New York City", { city: "new york city", state: "ny" }, us("New York", "NY")],
    [
      "unknown name",
      { city: "flibbertigibbet falls", state: "OR" },
      us("Flibbertigibbet Falls", "OR"),
    ],
    ["no letters", { city: "12345", state: "TX" }, us("Unknown", "TX")],
    ["missing city", { city: null, state: "TX" }, us("Unknown", "TX")],
    // The state in the city field.
    ["city, code", { city: "Bloomfield, NJ" }, us("Bloomfield", "NJ")],
    ["city, name", { city: "Tomball, Texas", postCode: "77375 " }, us("Tomball", "TX", "77375")],
    ["city, nothing", { city: "Murfreesboro,", state: "Tennessee " }, us("Murfreesboro", "TN")],
    ["city, D.C.", { city: "Washington, D.C." }, us("Washington", "DC")],
    ["city, code, ZIP", { city: "ST LOUIS, MO, 63101" }, us("St. Louis", "MO", "63101")],
    [
      "ZIP field beats the city field's",
      { city: "St. Louis, MO, 63101", postCode: "63102" },
      us("St. Louis", "MO", "63102"),
    ],
    ["country America", { city: "Houston", state: "TX", country: "America" }, us("Houston", "TX")],
    [
      "state field beats the city field",
      { city: "Bloomfield, NJ", state: "NY" },
      us("Bloomfield", "NY"),
    ],
    // States.
    [
      "ISO state",
      { city: "indianapolis", state: "US-IN", postCode: "46204" },
      us("Indianapolis", "IN", "46204"),
    ],
    [
      "state None, derived from ZIP",
      { city: "ST LOUIS", state: "None", postCode: "63101" },
      us("St. Louis", "MO", "63101"),
    ],
    [
      "state missing, no ZIP",
      { city: "Springfield" },
      { city: "Springfield", state: null, country: null, postCode: null },
    ],
    // ZIP codes.
    ["ZIP+4", { city: "Boston", state: "MA", postCode: "02110-1234" }, us("Boston", "MA", "02110")],
    [
      "ZIP lost its zero (number)",
      { city: "boston", state: null, postCode: 2110 },
      us("Boston", "MA", "02110"),
    ],
    [
      "ZIP lost its zero (text)",
      { city: "Boston", state: "MA", postCode: "2110" },
      us("Boston", "MA", "02110"),
    ],
    [
      "three digits, Puerto Rico",
      { city: "san juan", postCode: 901 },
      us("San Juan", "PR", "00901"),
    ],
    ["junk ZIP", { city: "Fultondale", state: "AL", postCode: "n/a" }, us("Fultondale", "AL")],
    [
      "ZIP unknown to the database is kept",
      { city: "Austin", state: "TX", postCode: "99999" },
      us("Austin", "TX", "99999"),
    ],
    [
      "ZIP fills state and country",
      { city: "holland", postCode: "49423" },
      us("Holland", "MI", "49423"),
    ],
    ["ZIP fills city", { city: "", postCode: "78501" }, us("McAllen", "TX", "78501")],
    // State against ZIP code.
    [
      "conflict: city in both states, ZIP wins",
      { city: "Springfield", state: "IL", postCode: "01101" },
      us("Springfield", "MA", "01101"),
    ],
    [
      "conflict: city only in the ZIP's state, ZIP wins",
      { city: "Seattle", state: "OR", postCode: "98101" },
      us("Seattle", "WA", "98101"),
    ],
    [
      "conflict: unknown city, ZIP wins",
      { city: "Nowheresville", state: "CA", postCode: "46204" },
      us("Nowheresville", "IN", "46204"),
    ],
    [
      "conflict: no city, ZIP wins",
      { state: "MS", postCode: "63101" },
      us("St. Louis", "MO", "63101"),
    ],
    [
      "conflict: city only in the state's state, state wins, ZIP dropped",
      { city: "Houston", state: "TX", postCode: "10001" },
      us("Houston", "TX"),
    ],
    // Countries.
    [
      "country USA",
      { city: "Miami", state: "FL", country: "U.S.A.", postCode: "33101" },
      us("Miami", "FL", "33101"),
    ],
    [
      "country United States",
      { city: "Chicago", state: "IL", country: "united states of america" },
      us("Chicago", "IL"),
    ],
    [
      "country missing, state known",
      { city: "Chicago", state: "IL", country: "" },
      us("Chicago", "IL"),
    ],
    [
      "everything missing",
      { city: "", state: "", country: "", postCode: "n/a" },
      { city: "Unknown", state: null, country: null, postCode: null },
    ],
    [
      "foreign address: no US state, no padding",
      { city: "perth", state: "WA", country: "au", postCode: "6000" },
      { city: "Perth", state: null, country: "AU", postCode: null },
    ],
    [
      "foreign address: five-digit code kept, no ZIP lookup",
      { city: "BERLIN", state: "BE", country: "Germany", postCode: "10115" },
      { city: "Berlin", state: null, country: "DE", postCode: "10115" },
    ],
    [
      "US state name as the country, confirmed by the ZIP code",
      { city: "Atlanta", state: null, country: "Georgia", postCode: "30301" },
      { city: "Atlanta", state: "GA", country: "US", postCode: "30301" },
    ],
    [
      "US state abbreviation as the country, confirmed by the state field",
      { city: "Indianapolis", state: "IN", country: "Ind", postCode: null },
      { city: "Indianapolis", state: "IN", country: "US", postCode: null },
    ],
    [
      "the country Georgia",
      { city: "tbilisi", state: null, country: "Georgia", postCode: "0105" },
      { city: "Tbilisi", state: null, country: "GE", postCode: null },
    ],
    [
      "CA as both state and country, no ZIP: Canada",
      { city: "Toronto", state: "CA", country: "CA", postCode: null },
      { city: "Toronto", state: null, country: "CA", postCode: null },
    ],
    [
      "CA as both state and country, a California ZIP: the US",
      { city: "Los Angeles", state: "CA", country: "CA", postCode: "90012" },
      { city: "Los Angeles", state: "CA", country: "US", postCode: "90012" },
    ],
    [
      "US territory as its ISO alpha-3 code",
      { city: "san juan", state: null, country: "PRI", postCode: "00901" },
      { city: "San Juan", state: "PR", country: "US", postCode: "00901" },
    ],
  ])("%s", (_label, raw, expected) => {
    expect(normalizer.address(raw)).toEqual(expected);
  });

  it("gives every place of the places table back as it is", () => {
    const changed: string[] = [];
    for (const p of usPlaces().list) {
      const clean = { city: p.city, state: p.state, country: "US", postCode: p.zips[0] ?? null };
      const got = normalizer.address(clean);
      if (got.city !== p.city || got.state !== p.state || got.postCode !== clean.postCode) {
        changed.push(`${p.city}, ${p.state} -> ${got.city}`);
      }
    }
    expect(changed).toEqual([]);
  });
});

describe("normalizer.address with small tables", () => {
  const tables: GeoTables = {
    zips: { "11111": ["Alphatown", "ME"], "22222": ["Betaville", "MD"] },
    placeNames: [
      ["Alphatown", "ME"],
      ["Betaville", "MD"],
      ["Twin City", "ME"],
      ["Twin City", "MD"],
      ["Only Here", "MO"],
    ],
  };
  const normalizer = createNormalizer(tables);

  it.each<[string, RawAddress, Partial<CleanAddress>]>([
    [
      "ZIP wins when the city does not decide",
      { city: "twin city", state: "ME", postCode: "22222" },
      { state: "MD", postCode: "22222" },
    ],
    [
      "state wins when only it knows the city",
      { city: "alphatown", state: "ME", postCode: "22222" },
      { city: "Alphatown", state: "ME", postCode: null },
    ],
    [
      "ZIP wins when only it knows the city",
      { city: "betaville", state: "ME", postCode: "22222" },
      { city: "Betaville", state: "MD", postCode: "22222" },
    ],
    [
      "the dictionary of any state spells a city in another",
      { city: "ONLY HERE", state: "ME" },
      { city: "Only Here", state: "ME" },
    ],
    [
      "a ZIP unknown to the tables changes nothing",
      { city: "twin city", state: "MD", postCode: "33333" },
      { city: "Twin City", state: "MD", postCode: "33333" },
    ],
  ])("%s", (_label, raw, expected) => {
    expect(normalizer.address(raw)).toMatchObject(expected);
  });
});

describe("cityKey", () => {
  it.each<[CleanAddress, string]>([
    [{ city: "Houston", state: "TX", country: "US", postCode: "77002" }, "Houston, TX"],
    [{ city: "Houston", state: null, country: null, postCode: null }, "Houston, ??"],
    [{ city: "Houston", state: null, country: "US", postCode: null }, "Houston, ??"],
    [{ city: "Paris", state: null, country: "FR", postCode: "75001" }, "Paris (FR)"],
    [{ city: "Toronto", state: null, country: "CA", postCode: null }, "Toronto (CA)"],
    [
      { city: "Saint-Denis (Réunion)", state: null, country: "RE", postCode: null },
      "Saint-Denis (Réunion) (RE)",
    ],
  ])("%j -> %j", (address, expected) => {
    expect(cityKey(address)).toBe(expected);
  });
});

describe("splitCityKey", () => {
  it.each<[string, ReturnType<typeof splitCityKey>]>([
    ["Houston, TX", { city: "Houston", state: "TX", country: "US" }],
    ["Houston, ??", { city: "Houston", state: undefined, country: undefined }],
    ["Springfield (north), IL", { city: "Springfield (north)", state: "IL", country: "US" }],
    ["Paris (FR)", { city: "Paris", state: undefined, country: "FR" }],
    [
      "Saint-Denis (Réunion) (RE)",
      { city: "Saint-Denis (Réunion)", state: undefined, country: "RE" },
    ],
    ["Cair Paravel (Narnia)", { city: "Cair Paravel", state: undefined, country: "Narnia" }],
    ["A, B, C", { city: "A, B, C", state: undefined, country: undefined }],
  ])("%j", (key, expected) => {
    expect(splitCityKey(key)).toEqual(expected);
  });

  it("gives back the parts of every key cityKey makes", () => {
    const addresses: CleanAddress[] = [
      { city: "Houston", state: "TX", country: "US", postCode: null },
      { city: "O'Fallon (West)", state: "MO", country: "US", postCode: null },
      { city: "Paris", state: null, country: "FR", postCode: null },
      { city: "Odd (Name)", state: null, country: "Narnia", postCode: null },
    ];
    for (const a of addresses) {
      const parts = splitCityKey(cityKey(a));
      expect(parts.city).toBe(a.city);
      expect(parts.state ?? null).toBe(a.state);
      expect(parts.country).toBe(a.country);
    }
  });
});
