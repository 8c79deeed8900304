/**
 * What the Kafka → consumer → SQLite path needs to know about an event type, and nothing more.
 * Each pipeline (users today; purchases, orders, baskets later) supplies one codec.
 */

export interface EventCodec<T> {
  /** Message key: the event's identity, so that one entity always lands on one partition. */
  key: (event: T) => string;
  encode: (event: T) => Buffer;
  /** Parses and validates one record value; throws InvalidEventError with the reasons. */
  decode: (value: Buffer | null) => T;
}

/** One validation problem, shaped like fastest-validator's (and moleculer's ValidationError data). */
export interface FieldError {
  field: string;
  type: string;
  message: string;
}
