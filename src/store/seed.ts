// Applies a parsed fixture in one transaction: everything or nothing. Loading the same fixture
// again only adds what is new; a revoked authorization or destroyed credential stays that way.
//
// The load is set-based: each kind of row is written by multi-row statements over arrays, a few
// thousand rows each, and the checks that need the database read it in a few set-based queries
// up front and then run in memory, in the fixture's order, so the first problem reported is the
// one a row-by-row load would have met first.
//
// The parts, in the order a load runs them: seed/world.ts (enterprises, users, organizations),
// seed/people.ts (roles, managed users), seed/webhooks.ts, seed/apps.ts (GitHub Apps and their
// installations), seed/credentials.ts (credentials and
// their grants); seed/rows.ts holds what they share.
import { FixtureError, fixtureRefusal, type ParsedFixture } from "../domain/fixture.ts";
import type { SecretBox } from "../secrets.ts";
import type { Db, Queryable } from "./db.ts";
import { unknownNames } from "./fixture-names.ts";
import { loadApps } from "./seed/apps.ts";
import { loadCredentials } from "./seed/credentials.ts";
import { loadPeople } from "./seed/people.ts";
import type { Path, SeedReport } from "./seed/rows.ts";
import { loadWebhooks } from "./seed/webhooks.ts";
import { loadEnterprises, loadOrganizations, loadUsers, namesOf } from "./seed/world.ts";

export { grantAuthorization } from "./seed/credentials.ts";
export type { CreatedCredential, LoadedApp, SeedReport } from "./seed/rows.ts";

/** No enterprise yet: a fresh database, where `serve --demo` loads the demo world. */
export async function isEmptyWorld(db: Queryable): Promise<boolean> {
  const rows = await db.query("select 1 from enterprises limit 1");
  return rows.length === 0;
}

/** How far a load is: the users whose credentials are in, of all the fixture's users. */
export interface SeedProgress {
  usersDone: number;
  users: number;
}

/**
 * Loads a fixture in one transaction. `onProgress` hears of it as the credentials go in (the long
 * part of a large world), first with none done and last with all.
 */
export async function applyFixture(
  db: Db,
  parsed: ParsedFixture,
  options: {
    onProgress?: (progress: SeedProgress) => void;
    /** Encrypts webhook secrets; without one, a fixture that declares a secret is refused. */
    secrets?: SecretBox | null;
    /** List in the report only the credentials whose token credauth generated (the CLI's loads). */
    reportGeneratedOnly?: boolean;
  } = {},
): Promise<SeedReport> {
  const onProgress = options.onProgress ?? (() => {});
  const progress = (usersDone: number) => onProgress({ usersDone, users: parsed.userCount });
  const fail = (path: Path, problem: string): never => {
    throw fixtureRefusal(parsed, path, problem);
  };
  progress(0);
  return db.transaction(async (tx) => {
    const report: SeedReport = {
      created: { enterprises: 0, organizations: 0, users: 0, credentials: 0, authorizations: 0, apps: 0 },
      credentials: [],
      apps: [],
    };
    // The names the file takes from the database, checked before anything is written (the CLI
    // checks them sooner, with the file's own problems: store/fixture-names.ts).
    const unknown = await unknownNames(tx, parsed.undeclared);
    if (unknown.length > 0) throw new FixtureError(parsed.source, unknown);
    const enterprises = await loadEnterprises(tx, parsed, report);
    const names = namesOf(parsed);
    const users = await loadUsers(tx, names.logins, names.emails, report);
    const organizations = await loadOrganizations(tx, parsed, enterprises, names.authorizedOrganizations, report);
    await loadPeople(tx, parsed, enterprises, organizations, users, fail);
    await loadWebhooks(tx, parsed, enterprises, organizations, options.secrets ?? null, fail);
    await loadApps(tx, parsed, report, fail);
    await loadCredentials(tx, parsed, users, organizations, report, fail, progress, {
      generatedOnly: options.reportGeneratedOnly ?? false,
    });
    progress(parsed.userCount);
    return report;
  });
}
