// The part of a fixture's check that needs the database: the organizations and resource owners the
// file names without declaring them must be here already. Asked before anything is written, and
// reported together with the file's own problems, so one run shows every mistake.
import { FixtureError, type FixtureProblem, type ParsedFixture, type UndeclaredName } from "../domain/fixture.ts";
import type { Queryable } from "./db.ts";

/** The undeclared names that are not in the database either, as fixture problems. */
export async function unknownNames(db: Queryable | null, names: readonly UndeclaredName[]): Promise<FixtureProblem[]> {
  if (names.length === 0) return [];
  const asked = [...new Set(names.map(({ name }) => name.toLowerCase()))];
  const rows = db
    ? await db.query<{ kind: "organization" | "enterprise" | "app"; name: string }>(
        `select 'organization' as kind, lower(login) as name from organizations where lower(login) = any($1::text[])
         union all
         select 'enterprise', lower(slug) from enterprises where lower(slug) = any($1::text[])
         union all
         select 'app', lower(slug) from apps where lower(slug) = any($1::text[])`,
        [asked],
      )
    : [];
  const organizations = new Set(rows.filter((row) => row.kind === "organization").map((row) => row.name));
  const enterprises = new Set(rows.filter((row) => row.kind === "enterprise").map((row) => row.name));
  const apps = new Set(rows.filter((row) => row.kind === "app").map((row) => row.name));
  return names.flatMap(({ kind, name, path, line }) => {
    const key = name.toLowerCase();
    if (kind === "app")
      return apps.has(key) ? [] : [{ path, line, problem: `App "${name}" is not declared, here or already loaded` }];
    if (kind === "organization")
      return organizations.has(key)
        ? []
        : [{ path, line, problem: `organization "${name}" is not declared in any enterprise, here or already loaded` }];
    return organizations.has(key) || enterprises.has(key)
      ? []
      : [{ path, line, problem: `"${name}" is not an enterprise or organization, in this fixture or already loaded` }];
  });
}

/**
 * A fixture parsed and checked whole: its shape and meaning (domain/fixture.ts) and the names it
 * takes from the database, every problem in one FixtureError. `db` null stands for an empty database.
 */
export async function checkedFixture(db: Queryable | null, parse: () => ParsedFixture): Promise<ParsedFixture> {
  let parsed: ParsedFixture;
  try {
    parsed = parse();
  } catch (error) {
    if (!(error instanceof FixtureError)) throw error;
    const unknown = await unknownNames(db, error.undeclared);
    throw unknown.length > 0 ? new FixtureError(error.source, [...error.problems, ...unknown]) : error;
  }
  const unknown = await unknownNames(db, parsed.undeclared);
  if (unknown.length > 0) throw new FixtureError(parsed.source, unknown);
  return parsed;
}
