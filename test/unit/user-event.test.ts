import { describe, expect, it } from "vitest";
import { InvalidEventError } from "../../lib/errors";
import { parseUserEvent, toUtcIso, userEventCodec, validateUserEvent } from "../../lib/user-event";

const valid = {
  id: "6f1c2f8e-9d3a-4b8e-8f1e-2b4c5d6e7f80",
  address: { city: "Houston", state: "TX", country: "US", postCode: "77001" },
  datetime: "2026-11-27T08:00:00.000Z",
};

describe("user event", () => {
  it("accepts a valid event and round-trips through the codec", () => {
    expect(validateUserEvent(structuredClone(valid))).toEqual([]);
    expect(userEventCodec.decode(userEventCodec.encode(valid))).toEqual(valid);
    expect(userEventCodec.key(valid)).toBe(valid.id);
  });

  it.each([
    [{ ...valid, id: "nope" }, "id"],
    [{ ...valid, datetime: "27/11/2026 08:00" }, "datetime"],
    [{ ...valid, datetime: "2026-02-30T08:00:00Z" }, "datetime"],
    [{ ...valid, address: { ...valid.address, postCode: { zip: 1 } } }, "address.postCode"],
    [{ ...valid, address: { ...valid.address, city: "" } }, "address.city"],
    [{ ...valid, address: { ...valid.address, city: "  \u200b\u00a0\u0007 " } }, "address.city"],
    [{ ...valid, address: { ...valid.address, state: 5 } }, "address.state"],
    [{ id: valid.id, datetime: valid.datetime }, "address"],
  ])("names the bad field (%#)", (event, field) => {
    expect(validateUserEvent(event).map(e => e.field)).toContain(field);
  });

  it.each([{ zip: 1 }, "9".repeat(201), true, [77002]])(
    "says once what a postCode may be (%j), not once per type it may have",
    postCode => {
      const problems = validateUserEvent({ ...valid, address: { ...valid.address, postCode } });
      expect(problems).toEqual([
        {
          field: "address.postCode",
          type: "multi",
          message: expect.stringMatching(/text of at most 200 characters or a number/) as unknown,
        },
      ]);
    },
  );

  it.each([
    ["2026-11-27T08:00:00Z", "2026-11-27T08:00:00.000Z"],
    ["2026-11-27T10:00:00+02:00", "2026-11-27T08:00:00.000Z"],
    ["2026-11-27T03:00:00-0500", "2026-11-27T08:00:00.000Z"],
    ["2019-05-07 17:33:20.592+00", "2019-05-07T17:33:20.592Z"],
    ["2026-11-27T13:00:00+05", "2026-11-27T08:00:00.000Z"],
    ["2026-11-27t08:00:00z", "2026-11-27T08:00:00.000Z"],
    ["2026-11-27T08:00:00.5z", "2026-11-27T08:00:00.500Z"],
    ["2026-11-27T13:00:00+5", undefined],
    ["2019-05-07 17:33:20.592", "2019-05-07T17:33:20.592Z"],
    ["2019-05-07 17:33:20.5929999", "2019-05-07T17:33:20.592Z"],
    ["2019-05-07T17:33", "2019-05-07T17:33:00.000Z"],
    ["2026-02-29T00:00:00Z", undefined],
    ["2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000Z"],
    ["2026-11-27", undefined],
    ["soon", undefined],
    ["9999-12-31T23:00:00+01:00", "9999-12-31T22:00:00.000Z"],
    ["9999-12-31T23:00:00-05:00", undefined],
    ["0000-01-01T00:30:00+01:00", undefined],
  ])("toUtcIso(%s) = %s (no offset means UTC)", (text, expected) => {
    expect(toUtcIso(text)).toBe(expected);
  });

  it("accepts messy addresses: only the city is required, the ZIP may be a number", () => {
    const messy = { ...valid, address: { city: " holland ", state: null, postCode: 2110 } };
    expect(validateUserEvent(structuredClone(messy))).toEqual([]);
    expect(parseUserEvent({ ...valid, id: valid.id.toUpperCase() }).id).toBe(valid.id);
  });

  it("refuses a city of invisible characters alone on the quick path too", () => {
    const blank = { ...valid, address: { ...valid.address, city: "\u200b \u200b" } };
    expect(() => parseUserEvent(blank)).toThrow(
      expect.objectContaining({
        data: { errors: [expect.objectContaining({ field: "address.city", type: "required" })] },
      }),
    );
  });

  it("rejects a date-time that an offset carries out of years 0000–9999, which the consumer would refuse", () => {
    const late = { ...valid, datetime: "9999-12-31T23:00:00-05:00" };
    expect(validateUserEvent(structuredClone(late)).map(e => e.field)).toContain("datetime");
    const edge = parseUserEvent({ ...valid, datetime: "9999-12-31T23:00:00+01:00" });
    expect(userEventCodec.decode(userEventCodec.encode(edge))).toEqual(edge);
  });

  it("rejects non-objects", () => {
    for (const v of [null, 5, "x", [valid]]) expect(validateUserEvent(v)).not.toEqual([]);
  });

  it("drops unknown fields", () => {
    const e = parseUserEvent({ ...structuredClone(valid), extra: "x" });
    expect(e).not.toHaveProperty("extra");
  });

  it("decodes only JSON events, throwing InvalidEventError with the reasons", () => {
    expect(() => userEventCodec.decode(Buffer.from("{oops"))).toThrow(InvalidEventError);
    expect(() => userEventCodec.decode(null)).toThrow(/tombstone/);
    let error: unknown;
    try {
      userEventCodec.decode(Buffer.from(JSON.stringify({ ...valid, id: "x" })));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as InvalidEventError).data).toMatchObject({ errors: [{ field: "id" }] });
  });
});
