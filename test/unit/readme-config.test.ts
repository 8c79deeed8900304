/**
 * The README's configuration table against lib/config.ts: every variable the code reads is listed,
 * nothing listed is unread, and each default the table shows is the code's own default.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../lib/config";

interface Row {
  name: string;
  /** The default as written in backticks; undefined for a described one ("_(random)_"). */
  literal: string | undefined;
}

function readmeRows(): Row[] {
  const readme = fs.readFileSync(path.join(__dirname, "../../README.md"), "utf8");
  const section = readme.split(/^## Configuration$/m)[1]?.split(/^## /m)[0];
  if (section === undefined) throw new Error('README.md has no "## Configuration" section');
  const rows: Row[] = [];
  for (const line of section.split("\n")) {
    const cells = line.split("|").map(c => c.trim());
    const name = /^`([A-Z][A-Z0-9_]*)`$/.exec(cells[1] ?? "")?.[1];
    if (name === undefined) continue;
    rows.push({ name, literal: /^`(.*)`$/.exec(cells[2] ?? "")?.[1] });
  }
  return rows;
}

/** The names loadConfig asks the environment for. */
function namesRead(): string[] {
  const asked = new Set<string>();
  const env = new Proxy(
    {},
    {
      get(_target, key) {
        if (typeof key === "string") asked.add(key);
        return undefined;
      },
    },
  );
  loadConfig(env);
  return [...asked].sort();
}

describe("README configuration table", () => {
  const rows = readmeRows();

  it("lists exactly the variables lib/config.ts reads, once each", () => {
    const listed = rows.map(r => r.name);
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual(namesRead());
  });

  it.each(rows.filter(r => r.literal !== undefined))(
    "shows the code's default of $name",
    ({ name, literal }) => {
      // Setting a variable to the default the README shows must change nothing.
      expect(loadConfig({ [name]: literal })).toEqual(loadConfig({}));
    },
  );

  it("would notice a wrong default", () => {
    expect(loadConfig({ HTTP_PORT: "8001" })).not.toEqual(loadConfig({}));
  });
});
