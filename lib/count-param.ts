/**
 * Strict parsing of whole-number parameters (the `n` of /submit/:n, report ids, page sizes): plain
 * decimal digits only, so that "1e2", "0x10", " 5" or "1.0" are refused instead of read as numbers.
 */
import { Errors } from "moleculer";

/** A ValidationError (422) with the same message and data shape the validator's own errors get. */
export function invalidParameters(
  problems: readonly {
    field: string;
    type: string;
    message: string;
    actual?: unknown;
    expected?: unknown;
  }[],
): Errors.ValidationError {
  return new Errors.ValidationError(
    invalidParametersMessage(problems.map(p => p.field)),
    "VALIDATION_ERROR",
    problems,
  );
}

/** "Invalid parameter: a" / "Invalid parameters: a, b": the message of every 422 of the gateway. */
export function invalidParametersMessage(fields: readonly string[]): string {
  const named = [...new Set(fields)];
  return `Invalid parameter${named.length > 1 ? "s" : ""}: ${named.join(", ")}`;
}

/** The problem of each parameter not in `known`, worded as every route words it. */
export function unknownParameters(
  params: Record<string, unknown>,
  known: readonly string[] = [],
): { field: string; type: string; message: string; actual: unknown }[] {
  return Object.keys(params)
    .filter(name => !known.includes(name))
    .map(name => ({
      field: name,
      type: "unknownParameter",
      message: `Unknown parameter '${name}'.`,
      actual: params[name],
    }));
}

/** The number a parameter means, or a ValidationError (422) saying what is wrong with it. */
export function parseWholeNumber(
  value: unknown,
  { field, min, max }: { field: string; min: number; max: number },
): number {
  const text =
    typeof value === "number" ? String(value) : typeof value === "string" ? value : undefined;
  const fail = (type: string, message: string): never => {
    throw invalidParameters([
      { type, field, message, actual: value, expected: `an integer from ${min} to ${max}` },
    ]);
  };
  if (text === undefined || !/^[0-9]+$/.test(text)) {
    return fail("integer", `'${field}' must be a whole number from ${min} to ${max}.`);
  }
  const n = Number(text);
  if (n < min) return fail("numberMin", `'${field}' must be at least ${min}.`);
  if (n > max) return fail("numberMax", `'${field}' must be at most ${max}.`);
  return n;
}

/** The `n` of /submit/:n: from 1 to max. */
export function parseCount(value: unknown, max: number): number {
  return parseWholeNumber(value, { field: "n", min: 1, max });
}

/** The same, for a parameter that may be absent; empty (`limit=`, as a form sends it) is absent. */
export function parseOptionalWholeNumber(
  value: unknown,
  range: { field: string; min: number; max: number },
): number | undefined {
  return value === undefined || value === "" ? undefined : parseWholeNumber(value, range);
}

/**
 * A parameter rule for moleculer's validator: a whole number in plain digits, checked as
 * parseWholeNumber does, so that its problem is named in the same 422 as the other parameters'
 * (the handler then reads the value with parseWholeNumber, which cannot fail any more).
 */
export function wholeNumberParam(
  range: { field: string; min: number; max: number },
  { optional = false } = {},
): { type: "any"; optional: boolean; custom: (value: unknown) => true | unknown[] } {
  return {
    type: "any",
    optional,
    // The validator runs a custom check on a missing value too: it says "required" itself when
    // the parameter is, and nothing when it is optional.
    custom: value => {
      if (value === undefined || value === null || (optional && value === "")) return true;
      try {
        parseWholeNumber(value, range);
        return true;
      } catch (err) {
        return (err as { data: unknown[] }).data;
      }
    },
  };
}

/**
 * A parameter rule for moleculer's validator: one of `values`, or absent; empty (`format=`, as a
 * form sends it) is absent too, as everywhere else.
 */
export function oneOfParam(
  field: string,
  values: readonly string[],
): { type: "any"; optional: true; custom: (value: unknown) => true | unknown[] } {
  return {
    type: "any",
    optional: true,
    custom: value => {
      if (value === undefined || value === null || value === "") return true;
      if (typeof value === "string" && values.includes(value)) return true;
      return [notOneOf(field, values, value)];
    },
  };
}

/** The problem of a parameter that is none of the values it may take, worded as every route words it. */
export function notOneOf(
  field: string,
  values: readonly string[],
  actual: unknown,
): { field: string; type: string; message: string; actual: unknown; expected: string } {
  return {
    field,
    type: "enumValue",
    message: `'${field}' must be one of ${values.join(", ")}.`,
    actual,
    expected: values.join(", "),
  };
}
