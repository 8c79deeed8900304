import { Errors } from "moleculer";
import { describe, expect, it } from "vitest";
import { parseCount } from "../../lib/count-param";

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
