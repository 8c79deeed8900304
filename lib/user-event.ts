/**
 * The user event: its type, validation and the JSON codec used on the Kafka topic.
 *
 * Events travel as received (addresses may be messy: `'holland '`, `'Ca'`, a ZIP as a number, a
 * missing state); userstats cleans them before counting and keeps the raw address beside the clean
 * one. Only the id (lower-cased) and the datetime (to UTC ISO-8601) are put in canonical form at
 * the edge, since both are keys.
 */
import Validator, { type ValidationError } from "fastest-validator";
import type { EventCodec, FieldError } from "./event-codec";
import { InvalidEventError } from "./errors";
import { INVISIBLE, INVISIBLE_ALL } from "./invisible";

/** An address as sent: only the city is required. */
export interface Address {
  city: string;
  state?: string | null;
  country?: string | null;
  postCode?: string | number | null;
}

export interface UserEvent {
  /** The user's id (a UUID, lower case); counting is by distinct id, and a repeated id changes nothing. */
  id: string;
  address: Address;
  /** UTC ISO-8601 date-time, e.g. 2026-11-27T08:00:00.000Z. */
  datetime: string;
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/**
 * Date and time, `T` or a space between them, optional seconds and fraction, optional offset; `t`
 * and `z` in lower case too (RFC 3339 allows them).
 */
const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * The instant a date-time string names, as UTC ISO-8601, or undefined if it is not one.
 * A date-time without an offset is taken as UTC.
 */
export function toUtcIso(value: string): string | undefined {
  if (isCanonical(value)) return value;
  const m = DATETIME.exec(value.trim());
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s = "00", frac = "", zone] = m;
  const offset =
    zone === undefined || zone === "Z" || zone === "z"
      ? "Z"
      : zone.length === 3 // "+05", as PostgreSQL prints a timestamptz
        ? `${zone}:00`
        : zone.length === 5
          ? `${zone.slice(0, 3)}:${zone.slice(3)}`
          : zone;
  const ms = frac === "" ? "" : frac.slice(0, 4).padEnd(4, "0");
  const text = `${y}-${mo}-${d}T${h}:${mi}:${s}${ms}${offset}`;
  const t = Date.parse(text);
  if (Number.isNaN(t)) return undefined;
  const date = new Date(t);
  // Date.parse rolls 2026-02-31 over to March: refuse dates that do not exist.
  const local = new Date(t + offsetMinutes(offset) * 60_000);
  if (local.getUTCDate() !== Number(d) || local.getUTCMonth() + 1 !== Number(mo)) return undefined;
  // An offset can carry 9999-12-31T23:00-05:00 past year 9999 (or 0000-01-01T00:30+01:00 before
  // year 0), where toISOString gives "+010000-…": not the canonical form the consumer accepts.
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) return undefined;
  return date.toISOString();
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const digit = (s: string, i: number): number => s.charCodeAt(i) - 48;
const num2 = (s: string, i: number): number => digit(s, i) * 10 + digit(s, i + 1);

/**
 * True for the canonical form toUtcIso returns (`2026-11-27T08:00:00.000Z`) naming a real date:
 * events on the topic are in it, so the consumer checks them without a regular expression.
 */
function isCanonical(s: string): boolean {
  if (s.length !== 24 || s.charCodeAt(23) !== 90 /* Z */) return false;
  for (const i of [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22]) {
    const d = digit(s, i);
    if (d < 0 || d > 9) return false;
  }
  if (
    s[4] !== "-" ||
    s[7] !== "-" ||
    s[10] !== "T" ||
    s[13] !== ":" ||
    s[16] !== ":" ||
    s[19] !== "."
  )
    return false;
  const year = digit(s, 0) * 1000 + digit(s, 1) * 100 + num2(s, 2);
  const month = num2(s, 5);
  const day = num2(s, 8);
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    num2(s, 11) > 23 ||
    num2(s, 14) > 59 ||
    num2(s, 17) > 59
  )
    return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return day <= (month === 2 && !leap ? 28 : (DAYS_IN_MONTH[month - 1] as number));
}

function offsetMinutes(offset: string): number {
  if (offset === "Z") return 0;
  const sign = offset.startsWith("-") ? -1 : 1;
  return sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
}

/**
 * Blank once invisible characters (zero-width spaces, controls) are gone, as cleaning removes
 * them: no city at all, not one to be counted as "Unknown".
 */
const isBlank = (text: string): boolean =>
  text.trim() === "" || (INVISIBLE.test(text) && text.replace(INVISIBLE_ALL, "").trim() === "");
const validator = new Validator({ useNewCustomCheckerFunction: true });
const optionalText = { type: "string", max: 200, optional: true, nullable: true } as const;
const checkEvent = validator.compile({
  $$root: false,
  $$strict: "remove",
  id: {
    type: "string",
    custom: (value: string, errors: { type: string; actual: unknown }[]) => {
      // fastest-validator runs custom checks even after the type check failed.
      if (typeof value === "string" && !UUID.test(value))
        errors.push({ type: "uuid", actual: value });
      return value;
    },
    messages: { uuid: "The 'id' field must be a UUID." },
  },
  address: {
    type: "object",
    strict: "remove",
    props: {
      city: {
        type: "string",
        max: 200,
        custom: (value: string, errors: { type: string; actual: unknown }[]) => {
          if (typeof value === "string" && isBlank(value))
            errors.push({ type: "required", actual: value });
          return value;
        },
      },
      state: optionalText,
      country: optionalText,
      postCode: {
        type: "multi",
        optional: true,
        nullable: true,
        rules: [
          // Any text or number: what is no ZIP code ("n/a", 2110.5) is cleaned to unknown.
          { type: "string", max: 200 },
          { type: "number" },
        ],
      },
    },
  },
  datetime: {
    type: "string",
    custom: (value: string, errors: { type: string; actual: unknown }[]) => {
      if (typeof value === "string" && toUtcIso(value) === undefined)
        errors.push({ type: "datetime", actual: value });
      return value;
    },
    messages: {
      datetime: "The 'datetime' field must be an ISO-8601 date-time (no offset means UTC).",
    },
  },
});

/** Validation problems of one candidate event; an empty list means it is a valid UserEvent. */
export function validateUserEvent(value: unknown): FieldError[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return [{ field: "", type: "object", message: "An event must be a JSON object." }];
  }
  const result = checkEvent(value) as true | ValidationError[];
  if (result === true) return [];
  // A field with a choice of types (postCode: text or number) fails each choice: one problem.
  const problems: FieldError[] = [];
  for (const e of result) {
    const alternatives = EITHER[e.field];
    if (alternatives === undefined) {
      problems.push({ field: e.field, type: e.type, message: e.message ?? e.type });
    } else if (!problems.some(p => p.field === e.field)) {
      problems.push({ field: e.field, type: "multi", message: alternatives });
    }
  }
  return problems;
}

/** The one message of a field whose value may be of several types. */
const EITHER: Record<string, string> = {
  "address.postCode":
    "The 'address.postCode' field must be text of at most 200 characters or a number.",
};

/**
 * The value as a UserEvent in canonical form (lower-case id, UTC datetime), or throws
 * InvalidEventError listing every problem. The input object is not modified.
 */
export function parseUserEvent(value: unknown): UserEvent {
  return parseOwned(typeof value === "object" && value !== null ? structuredClone(value) : value);
}

const isText = (v: unknown, max: number): boolean => typeof v === "string" && v.length <= max;
const isOptionalText = (v: unknown): boolean => v === undefined || v === null || isText(v, 200);

/**
 * The event in canonical form when it plainly is a valid one (the case of every record on the
 * topic), checked by hand at a fraction of the validator's cost; undefined means "ask the
 * validator", which also says what is wrong. Extra fields are dropped, as the validator does.
 */
function quickEvent(value: unknown): UserEvent | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { id, address, datetime } = value as {
    id?: unknown;
    address?: unknown;
    datetime?: unknown;
  };
  if (typeof id !== "string" || !UUID.test(id) || typeof datetime !== "string") return undefined;
  if (typeof address !== "object" || address === null || Array.isArray(address)) return undefined;
  const a = address as Record<string, unknown>;
  if (!isText(a.city, 200) || isBlank(a.city as string)) return undefined;
  if (!isOptionalText(a.state) || !isOptionalText(a.country)) return undefined;
  const zip = a.postCode;
  if (!(
    zip === undefined ||
    zip === null ||
    isText(zip, 200) ||
    (typeof zip === "number" && Number.isFinite(zip))
  )) {
    return undefined;
  }
  const utc = toUtcIso(datetime);
  if (utc === undefined) return undefined;
  const clean: Address = { city: a.city as string };
  if (a.state !== undefined) clean.state = a.state as string | null;
  if (a.country !== undefined) clean.country = a.country as string | null;
  if (zip !== undefined) clean.postCode = zip as string | number | null;
  return { id: id.toLowerCase(), address: clean, datetime: utc };
}

/**
 * parseUserEvent for a value nobody else holds (freshly parsed JSON): validates it in place, without
 * the copy (which also cannot overflow the stack on a deeply nested value).
 */
export function parseOwned(value: unknown): UserEvent {
  const checked = checkOwned(value);
  if (checked.event === undefined)
    throw new InvalidEventError("Not a valid user event", { errors: checked.errors });
  return checked.event;
}

/**
 * What parseOwned does, with the reasons returned instead of thrown: an error (and its stack)
 * for each of a million invalid values in one request costs seconds.
 */
export function checkOwned(
  value: unknown,
): { event: UserEvent; errors?: undefined } | { event?: undefined; errors: FieldError[] } {
  const fast = quickEvent(value);
  if (fast !== undefined) return { event: fast };
  const errors = validateUserEvent(value);
  if (errors.length > 0) return { errors };
  const event = value as UserEvent;
  return {
    event: {
      id: event.id.toLowerCase(),
      address: event.address,
      datetime: toUtcIso(event.datetime) as string,
    },
  };
}

export const userEventCodec: EventCodec<UserEvent> = {
  key: event => event.id,
  encode: event => Buffer.from(JSON.stringify(event)),
  decode: value => {
    if (value === null) throw new InvalidEventError("Record has no value (tombstone)");
    let parsed: unknown;
    try {
      parsed = JSON.parse(value.toString("utf8"));
    } catch (err) {
      throw new InvalidEventError("Record value is not JSON", { reason: (err as Error).message });
    }
    return parseOwned(parsed);
  },
};
