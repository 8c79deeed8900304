import { Errors } from "moleculer";
import { describe, expect, it } from "vitest";
import Validator from "fastest-validator";
import {
  parseCount,
  parseOptionalWholeNumber,
  parseWholeNumber,
  oneOfParam,
  wholeNumberParam,
} from "../../lib/count-param";

describe("parseCount", () => {
  it.each([
    ["1", 1],
    ["25", 25],
    ["1000000", 1_000_000],
    ["007", 7],
    [10, 10],
  ])("accepts %j", (input, expected) => {
    expect(parseCount(input, 1_000_000)).toBe(expected);
  });

  it.each([
    ["0", "numberMin"],
    ["-1", "integer"],
    ["abc", "integer"],
    ["", "integer"],
    ["1.5", "integer"],
    ["1e9", "integer"],
    [" 5", "integer"],
    ["0x10", "integer"],
    ["1000001", "numberMax"],
    ["9999999999999", "numberMax"],
    [1.5, "integer"],
    [null, "integer"],
    [undefined, "integer"],
    [{}, "integer"],
  ])("rejects %j with a 422 of type %s", (input, type) => {
    let error: unknown;
    try {
      parseCount(input, 1_000_000);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(Errors.ValidationError);
    expect((error as Errors.ValidationError).code).toBe(422);
    expect((error as { data: { type: string; field: string }[] }).data[0]).toMatchObject({
      field: "n",
      type,
    });
  });
});

describe("parseWholeNumber", () => {
  const range = { field: "id", min: 1, max: Number.MAX_SAFE_INTEGER };
  const problem = (input: unknown) => {
    try {
      parseWholeNumber(input, range);
    } catch (err) {
      return {
        ...(err as { data: { type: string; field: string }[] }).data[0],
        errorMessage: (err as Error).message,
      };
    }
    return undefined;
  };

  it("takes plain digits up to the largest exact integer", () => {
    expect(parseWholeNumber("9007199254740991", range)).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseWholeNumber("05", range)).toBe(5);
  });

  it.each([
    ["1e2", "integer"],
    ["0x10", "integer"],
    [" 5", "integer"],
    ["5 ", "integer"],
    ["+5", "integer"],
    ["1.0", "integer"],
    ["9007199254740992", "numberMax"],
    ["99999999999999999999", "numberMax"],
  ])("refuses %j (%s), naming the parameter", (input, type) => {
    expect(problem(input)).toMatchObject({
      errorMessage: "Invalid parameter: id",
      field: "id",
      type,
    });
  });
});

describe("wholeNumberParam", () => {
  const check = new Validator().compile({
    $$strict: true,
    limit: wholeNumberParam({ field: "limit", min: 1, max: 200 }, { optional: true }),
    id: wholeNumberParam({ field: "id", min: 1, max: 10 }),
  });

  it("passes a valid value, and a missing optional one", () => {
    expect(check({ id: "3" })).toBe(true);
    expect(check({ id: "3", limit: "200" })).toBe(true);
  });

  it("takes an empty optional parameter (a form's empty field) as not given, an empty required one not", () => {
    expect(check({ id: "3", limit: "" })).toBe(true);
    expect(parseOptionalWholeNumber("", { field: "limit", min: 1, max: 200 })).toBeUndefined();
    const problems = check({ id: "" }) as { field: string; type: string }[];
    expect(problems.map(p => `${p.field} ${p.type}`)).toEqual(["id integer"]);
  });

  it("names every bad or missing parameter in one answer, with the whole-number wording", () => {
    const problems = check({ limit: "1e1", colour: "red" }) as { field: string; type: string }[];
    expect(problems.map(p => `${p.field} ${p.type}`).sort()).toEqual([
      "id required",
      "limit integer",
      "undefined objectStrict",
    ]);
  });
});

describe("oneOfParam", () => {
  const check = new Validator().compile({
    $$strict: true,
    format: oneOfParam("format", ["json", "csv"]),
    id: wholeNumberParam({ field: "id", min: 1, max: 10 }),
  });

  it("passes one of its values, and a missing or empty one", () => {
    for (const format of ["json", "csv", "", undefined])
      expect(check({ id: "1", format })).toBe(true);
  });

  it("names what it takes, in the same answer as the other parameters' problems", () => {
    for (const format of ["xml", "JSON", ["json", "csv"]]) {
      const problems = check({ id: "x", format }) as {
        field: string;
        type: string;
        expected?: string;
      }[];
      expect(problems.map(p => `${p.field} ${p.type}`).sort()).toEqual([
        "format enumValue",
        "id integer",
      ]);
      expect(problems.find(p => p.field === "format")?.expected).toBe("json, csv");
    }
  });
});
