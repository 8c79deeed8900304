/**
 * The README's configuration table against lib/config.ts: every variable the code reads is listed,
 * nothing listed is unread, and each default the table shows is the code's own default. And its
 * table of the scripts' variables against what scripts/ reads.
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

const root = path.join(__dirname, "../..");

/** The rows of the README's tables in "## Configuration": the services' part, or "### Scripts". */
function readmeRows(part: "services" | "scripts"): Row[] {
  const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
  const section = readme.split(/^## Configuration$/m)[1]?.split(/^## /m)[0];
  if (section === undefined) throw new Error('README.md has no "## Configuration" section');
  const [services, scripts] = section.split(/^### Scripts$/m);
  if (scripts === undefined) throw new Error('README.md has no "### Scripts" table');
  const rows: Row[] = [];
  for (const line of (part === "services" ? services! : scripts).split("\n")) {
    const cells = line.split("|").map(c => c.trim());
    // A cell may name several variables: `A`, `B`.
    const names = [...(cells[1] ?? "").matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map(m => m[1]!);
    for (const name of names) rows.push({ name, literal: /^`(.*)`$/.exec(cells[2] ?? "")?.[1] });
  }
  return rows;
}

/** The variables the shell scripts read with a default (`${NAME:-…}` or `${NAME-…}`). */
function scriptVariables(): string[] {
  const dir = path.join(root, "scripts");
  const names = new Set<string>();
  for (const file of fs.readdirSync(dir).filter(f => f.endsWith(".sh") || f.endsWith(".env"))) {
    const text = fs.readFileSync(path.join(dir, file), "utf8");
    for (const m of text.matchAll(/\$\{([A-Z][A-Z0-9_]*):?-/g)) names.add(m[1]!);
  }
  return [...names].sort();
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
  const rows = readmeRows("services");

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

describe("README table of the scripts' variables", () => {
  it("lists every variable the scripts read, unless the services' table has it", () => {
    const documented = new Set([
      ...readmeRows("scripts").map(r => r.name),
      ...readmeRows("services").map(r => r.name),
      "ROOT", // the checkout itself, found by lib.sh
    ]);
    const read = scriptVariables();
    expect(read).toContain("KAFKA_PORT"); // the scan finds them at all
    expect(read.filter(name => !documented.has(name))).toEqual([]);
  });

  it("lists nothing the scripts do not read", () => {
    const read = new Set(scriptVariables());
    expect(readmeRows("scripts").filter(r => !read.has(r.name))).toEqual([]);
  });
});
