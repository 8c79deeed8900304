import { describe, expect, it } from "vitest";
import { allowedFor, isWrite } from "../../lib/routes";

describe("isWrite", () => {
  // moleculer-web routes these forms to the write actions, so the rate limit must see them too.
  it.each([
    ["GET", "/submit/10"],
    ["GET", "/SUBMIT/10"],
    ["GET", "/Submit/10/"],
    ["GET", "/submit/10//"],
    ["POST", "/events"],
    ["POST", "/EVENTS/"],
    ["POST", "/report/send"],
    ["POST", "/Report/Send//"],
  ])("%s %s is a write", (method, path) => {
    expect(isWrite(method, path)).toBe(true);
  });

  it.each([
    ["GET", "/report"],
    ["GET", "/REPORTS/1"],
    ["POST", "/submit/10"],
    ["GET", "/events"],
    ["GET", "/report/send"],
    ["GET", "/submit"],
    ["GET", "/submit/10/more"],
    ["GET", "/"],
  ])("%s %s is not", (method, path) => {
    expect(isWrite(method, path)).toBe(false);
  });
});

describe("allowedFor", () => {
  it("names a route's methods in any case and with trailing slashes", () => {
    expect(allowedFor("/report/send")).toEqual(["POST"]);
    expect(allowedFor("/Report/")).toEqual(["GET", "HEAD"]);
    expect(allowedFor("/nothing")).toEqual([]);
  });
});
