import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { reportAnswer, reportTail, STREAM_REPORTS_ABOVE_BYTES } from "../../lib/report-answer";

/** The bytes of a body, Buffer or stream. */
async function bytesOf(body: Buffer | Readable): Promise<Buffer> {
  if (Buffer.isBuffer(body)) return body;
  const parts: Buffer[] = [];
  for await (const part of body) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** A report's JSON text with `cities` distinct keys. */
function reportJson(at: string, cities: number): string {
  const stats = Object.fromEntries(
    Array.from({ length: cities }, (_, i) => [`Ünïcode City ${i}, TX`, cities - i]),
  );
  return JSON.stringify({ timestamp: at, total: cities, filters: { by: "city" }, stats });
}

describe("report-answer", () => {
  const built = "2026-11-27T08:00:00.000Z";
  const now = new Date("2026-11-27T09:30:15.123Z");

  it.each([
    ["a small report, as one Buffer", 3, true],
    ["a report above the stream threshold, as a stream", 5000, false],
  ])("answers %s with the time of the answer and the cached rest", async (_, cities, buffer) => {
    const json = reportJson(built, cities);
    const tail = reportTail(json);
    expect(tail.length > STREAM_REPORTS_ABOVE_BYTES).toBe(!buffer);
    const { body, length } = reportAnswer(tail, now);
    expect(Buffer.isBuffer(body)).toBe(buffer);
    const bytes = await bytesOf(body);
    expect(bytes.length).toBe(length);
    expect(JSON.parse(bytes.toString("utf8"))).toEqual({
      ...(JSON.parse(json) as object),
      timestamp: now.toISOString(),
    });
  });

  it("refuses a text that does not start with a report's timestamp", () => {
    expect(() => reportTail('{"total":1,"stats":{}}')).toThrow(/must start with/);
    expect(() => reportTail('{"timestamp":"2026-11-27T08:00:00Z","total":1}')).toThrow(
      /must start with/,
    );
    expect(reportTail(reportJson(built, 1)).toString()).toBe(
      '","total":1,"filters":{"by":"city"},"stats":{"Ünïcode City 0, TX":1}}',
    );
  });
});
