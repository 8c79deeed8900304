/** Strict parsing of the `n` of /submit/:n: a plain decimal integer from 1 to max. */
import { Errors } from "moleculer";

/** The number n means, or a ValidationError (422) saying what is wrong with it. */
export function parseCount(value: unknown, max: number): number {
  const text =
    typeof value === "number" ? String(value) : typeof value === "string" ? value : undefined;
  const fail = (type: string, message: string): never => {
    throw new Errors.ValidationError("Parameters validation error!", "VALIDATION_ERROR", [
      { type, field: "n", message, actual: value, expected: `an integer from 1 to ${max}` },
    ]);
  };
  if (text === undefined || !/^[0-9]+$/.test(text)) {
    return fail("integer", `'n' must be a whole number from 1 to ${max}.`);
  }
  const n = Number(text);
  if (n < 1) return fail("numberMin", `'n' must be at least 1.`);
  if (n > max) return fail("numberMax", `'n' must be at most ${max}.`);
  return n;
}
