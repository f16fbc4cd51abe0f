// The fixture format: a YAML or JSON file that declares a world (enterprises, organizations,
// people and their credentials). Parsing checks everything that can be checked without the
// database, and every complaint names the path and line at fault. The parts: fixture/types.ts (the
// format and its errors), fixture/source.ts (text to data, with lines), fixture/schema.ts (the
// shape), fixture/checks.ts (the meaning).

import type { ErrorObject } from "ajv";
import { checkWorld, undeclaredNames } from "./fixture/checks.ts";
import { validateShape } from "./fixture/schema.ts";
import { readJson, readYaml } from "./fixture/source.ts";
import {
  type Fixture,
  FixtureError,
  type FixtureProblem,
  type FixtureUser,
  type ParsedFixture,
  readablePath,
  type UndeclaredName,
} from "./fixture/types.ts";

export * from "./fixture/types.ts";

/**
 * Parses and checks a fixture. `compact` (for large files): a JSON fixture's users are dropped once
 * checked and read again from the text one at a time as they are loaded, so a world of a million
 * authorizations is never held whole as objects (docs/performance.md).
 */
export function parseFixture(text: string, source: string, options: { compact?: boolean } = {}): ParsedFixture {
  const { data, locate, userSpans } = readJson(text, source) ?? readYaml(text, source);
  const problems: FixtureProblem[] = [];
  const report = (path: (string | number)[], problem: string): void => {
    problems.push({ path: readablePath(path), line: locate(path), problem });
  };
  // Found before the shape is checked, from whatever is readable, so that a refusal carries them.
  const undeclared = undeclaredNames(data, locate);
  const refuseIfAny = () => {
    if (problems.length > 0) throw new FixtureError(source, problems, undeclared);
  };
  if (!validateShape(data)) {
    for (const error of validateShape.errors as ErrorObject[]) {
      const path = error.instancePath
        .split("/")
        .slice(1)
        .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      const property = (error.params as { additionalProperty?: string }).additionalProperty;
      const problem =
        property !== undefined
          ? `unknown field "${property}"`
          : error.keyword === "enum"
            ? `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(", ")}`
            : (error.message ?? "is invalid");
      report(property !== undefined ? [...path, property] : path, problem);
    }
    refuseIfAny();
  }
  const fixture = data as Fixture;

  checkWorld(fixture, report);
  refuseIfAny();
  if (options.compact && userSpans && userSpans.length === (fixture.users?.length ?? 0))
    return compactFixture(fixture, userSpans, text, locate, source, undeclared);
  return wholeFixture(fixture, locate, source, undeclared);
}

// Built outside parseFixture, whose scope holds the whole document: a closure made there would keep
// it alive (V8 shares one context among a function's closures).
function wholeFixture(
  fixture: Fixture,
  locate: ParsedFixture["locate"],
  source: string,
  undeclared: readonly UndeclaredName[],
): ParsedFixture {
  return {
    fixture,
    users: () => fixture.users ?? [],
    userCount: fixture.users?.length ?? 0,
    locate,
    source,
    undeclared,
  };
}

function compactFixture(
  fixture: Fixture,
  userSpans: [number, number][],
  text: string,
  locate: ParsedFixture["locate"],
  source: string,
  undeclared: readonly UndeclaredName[],
): ParsedFixture {
  return {
    fixture: { enterprises: fixture.enterprises, apps: fixture.apps },
    *users() {
      for (const [start, end] of userSpans) yield JSON.parse(text.slice(start, end)) as FixtureUser;
    },
    userCount: userSpans.length,
    locate,
    source,
    undeclared,
  };
}
