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

export const USER_EVENTS_TOPIC = "user-events";

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Date and time, `T` or a space between them, optional seconds and fraction, optional offset. */
const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * The instant a date-time string names, as UTC ISO-8601, or undefined if it is not one.
 * A date-time without an offset is taken as UTC.
 */
export function toUtcIso(value: string): string | undefined {
  const m = DATETIME.exec(value.trim());
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s = "00", frac = "", zone] = m;
  const offset =
    zone === undefined || zone === "Z"
      ? "Z"
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
  return date.toISOString();
}

function offsetMinutes(offset: string): number {
  if (offset === "Z") return 0;
  const sign = offset.startsWith("-") ? -1 : 1;
  return sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
}

/** True when the string is a date-time with an explicit offset that names a real instant. */
export function isIsoDateTime(value: string): boolean {
  const m = DATETIME.exec(value);
  return m !== null && m[8] !== undefined && value.includes("T") && toUtcIso(value) !== undefined;
}

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
          if (typeof value === "string" && value.trim() === "")
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
          { type: "string", max: 20 },
          { type: "number", integer: true, min: 0, max: 999_999_999 },
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
  return result.map(e => ({ field: e.field, type: e.type, message: e.message ?? e.type }));
}

/**
 * The value as a UserEvent in canonical form (lower-case id, UTC datetime), or throws
 * InvalidEventError listing every problem. The input object is not modified.
 */
export function parseUserEvent(value: unknown): UserEvent {
  return parseOwned(typeof value === "object" && value !== null ? structuredClone(value) : value);
}

/** parseUserEvent for a value nobody else holds (freshly parsed JSON): validates it in place. */
function parseOwned(value: unknown): UserEvent {
  const errors = validateUserEvent(value);
  if (errors.length > 0) throw new InvalidEventError("Not a valid user event", { errors });
  const event = value as UserEvent;
  return {
    id: event.id.toLowerCase(),
    address: event.address,
    datetime: toUtcIso(event.datetime) as string,
  };
}

export const userEventCodec: EventCodec<UserEvent> = {
  defaultTopic: USER_EVENTS_TOPIC,
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
