/**
 * The user event: its type, validation and the JSON codec used on the Kafka topic.
 */
import Validator, { type ValidationError } from "fastest-validator";
import type { EventCodec, FieldError } from "./event-codec";
import { InvalidEventError } from "./errors";

export interface Address {
  city: string;
  state: string;
  country: string;
  postCode: string;
}

export interface UserEvent {
  /** The user's id (a UUID); counting is by distinct id, and a repeated id changes nothing. */
  id: string;
  address: Address;
  /** ISO-8601 date-time with an offset, e.g. 2026-11-27T08:00:00.000Z. */
  datetime: string;
}

export const USER_EVENTS_TOPIC = "user-events";

/** ISO-8601 date-time with seconds optional fraction and a mandatory offset (Z or ±hh:mm). */
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** True when the string is an ISO-8601 date-time with an offset that names a real instant. */
export function isIsoDateTime(value: string): boolean {
  return ISO_DATETIME.test(value) && !Number.isNaN(Date.parse(value));
}

const validator = new Validator({ useNewCustomCheckerFunction: true });
const addressField = { type: "string", max: 200 } as const;
const checkEvent = validator.compile({
  $$root: false,
  $$strict: "remove",
  id: { type: "uuid" },
  address: {
    type: "object",
    strict: "remove",
    props: {
      city: { type: "string", min: 1, max: 200 },
      state: addressField,
      country: addressField,
      postCode: addressField,
    },
  },
  datetime: {
    type: "string",
    custom: (value: string, errors: { type: string; actual: unknown }[]) => {
      if (!isIsoDateTime(value)) errors.push({ type: "datetime", actual: value });
      return value;
    },
    messages: { datetime: "The 'datetime' field must be an ISO-8601 date-time with an offset." },
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

/** Returns the value as a UserEvent, or throws InvalidEventError listing every problem. */
export function parseUserEvent(value: unknown): UserEvent {
  const errors = validateUserEvent(value);
  if (errors.length > 0) throw new InvalidEventError("Not a valid user event", { errors });
  return value as UserEvent;
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
    return parseUserEvent(parsed);
  },
};
