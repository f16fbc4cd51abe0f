// The enterprises, users and organizations a fixture declares or names: created where missing, then
// read back by name for the parts that follow.
import { authorizationsOf, type ParsedFixture } from "../../domain/fixture.ts";
import type { Queryable } from "../db.ts";
import { chunks, type EnterpriseRow, type OrganizationRow, type SeedReport, type UserRow } from "./rows.ts";

export async function loadEnterprises(tx: Queryable, parsed: ParsedFixture, report: SeedReport) {
  const enterprises = parsed.fixture.enterprises ?? [];
  const inserted = await tx.query<{ id: number }>(
    `insert into enterprises (slug, name, emu)
     select slug, name, emu from unnest($1::text[], $2::text[], $3::boolean[]) with ordinality as e(slug, name, emu, n)
      order by n
     on conflict ((lower(slug))) do nothing returning id`,
    [enterprises.map((e) => e.slug), enterprises.map((e) => e.name ?? e.slug), enterprises.map((e) => e.emu ?? false)],
  );
  report.created.enterprises += inserted.length;
  const rows = await tx.query<EnterpriseRow>(
    `select e.id, e.slug, e.emu, e.first_owner_id
       from unnest($1::text[]) as wanted(slug) join enterprises e on lower(e.slug) = wanted.slug`,
    [enterprises.map((e) => e.slug.toLowerCase())],
  );
  return new Map(rows.map((row) => [row.slug.toLowerCase(), row]));
}

/**
 * Every login the fixture names, in the order a reader meets them (enterprises' people, then
 * users), and every organization its credentials name: one pass over the users, which a compact
 * fixture parses again on each pass.
 */
export function namesOf(parsed: ParsedFixture): {
  logins: string[];
  emails: Map<string, string>;
  authorizedOrganizations: Set<string>;
} {
  const logins = new Map<string, string>();
  const add = (login: string) => {
    if (!logins.has(login.toLowerCase())) logins.set(login.toLowerCase(), login);
  };
  for (const enterprise of parsed.fixture.enterprises ?? []) {
    for (const list of [enterprise.owners, enterprise.credential_managers, enterprise.guest_collaborators])
      list?.forEach(add);
    for (const organization of enterprise.organizations ?? []) {
      for (const list of [organization.owners, organization.members, organization.outside_collaborators])
        list?.forEach(add);
    }
  }
  const authorizedOrganizations = new Set<string>();
  const emails = new Map<string, string>();
  for (const user of parsed.users()) {
    add(user.login);
    if (user.email !== undefined) emails.set(user.login.toLowerCase(), user.email);
    for (const credential of user.credentials ?? [])
      for (const { org } of authorizationsOf(credential)) authorizedOrganizations.add(org.toLowerCase());
  }
  return { logins: [...logins.values()], emails, authorizedOrganizations };
}

/**
 * Creates the users not there yet. An email address is set where the user has none: like
 * everything else, a re-load adds and never replaces.
 */
export async function loadUsers(
  tx: Queryable,
  logins: string[],
  emails: Map<string, string>,
  report: SeedReport,
): Promise<Map<string, UserRow>> {
  const users = new Map<string, UserRow>();
  for (const chunk of chunks(logins)) {
    const chunkEmails = chunk.map((login) => emails.get(login.toLowerCase()) ?? null);
    const inserted = await tx.query<{ id: number }>(
      `insert into users (login, email)
       select login, email from unnest($1::text[], $2::text[]) with ordinality as l(login, email, n) order by n
       on conflict ((lower(login))) do nothing returning id`,
      [chunk, chunkEmails],
    );
    report.created.users += inserted.length;
    if (emails.size > 0)
      await tx.query(
        `update users u set email = l.email
           from unnest($1::text[], $2::text[]) as l(login, email)
          where lower(u.login) = lower(l.login) and l.email is not null and u.email is null`,
        [chunk, chunkEmails],
      );
    const rows = await tx.query<UserRow>(
      `select u.id, u.login, u.managed_by_enterprise_id
         from unnest($1::text[]) as wanted(login) join users u on lower(u.login) = wanted.login`,
      [chunk.map((login) => login.toLowerCase())],
    );
    for (const row of rows) users.set(row.login.toLowerCase(), row);
  }
  return users;
}

export async function loadOrganizations(
  tx: Queryable,
  parsed: ParsedFixture,
  enterprises: Map<string, EnterpriseRow>,
  authorizedOrganizations: Set<string>,
  report: SeedReport,
): Promise<Map<string, OrganizationRow>> {
  const declared = (parsed.fixture.enterprises ?? []).flatMap((enterprise) =>
    (enterprise.organizations ?? []).map((organization) => ({
      login: organization.login,
      enterpriseId: enterprises.get(enterprise.slug.toLowerCase())!.id,
      samlSso: organization.saml_sso ?? true,
    })),
  );
  const inserted = await tx.query<{ id: number }>(
    `insert into organizations (login, enterprise_id, saml_sso)
     select login, enterprise_id, saml_sso
       from unnest($1::text[], $2::bigint[], $3::boolean[]) with ordinality as o(login, enterprise_id, saml_sso, n)
      order by n
     on conflict ((lower(login))) do nothing returning id`,
    [declared.map((o) => o.login), declared.map((o) => o.enterpriseId), declared.map((o) => o.samlSso)],
  );
  report.created.organizations += inserted.length;
  // Every organization the fixture names, declared in it or already in the database.
  const named = new Set([...declared.map((o) => o.login.toLowerCase()), ...authorizedOrganizations]);
  const rows = await tx.query<OrganizationRow>(
    `select o.id, o.login, o.enterprise_id
       from unnest($1::text[]) as wanted(login) join organizations o on lower(o.login) = wanted.login`,
    [[...named]],
  );
  return new Map(rows.map((row) => [row.login.toLowerCase(), row]));
}
