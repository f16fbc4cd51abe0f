// Who belongs where: roles in enterprises and organizations, and the managed users of EMU
// enterprises, checked against what the database already holds.
import type { ParsedFixture } from "../../domain/fixture.ts";
import type { Queryable } from "../db.ts";
import {
  chunks,
  columns,
  type EnterpriseRow,
  type Fail,
  type OrganizationRow,
  type Path,
  type UserRow,
} from "./rows.ts";

/** The enterprises each user already belongs to (a role in it or in one of its organizations). */
async function existingMemberships(tx: Queryable, userIds: number[]): Promise<Map<number, Set<number>>> {
  const memberships = new Map<number, Set<number>>();
  for (const chunk of chunks(userIds)) {
    const rows = await tx.query<{ user_id: number; enterprise_id: number }>(
      `select r.user_id, r.enterprise_id from enterprise_roles r where r.user_id = any($1::bigint[])
       union
       select r.user_id, o.enterprise_id from organization_roles r join organizations o on o.id = r.organization_id
        where r.user_id = any($1::bigint[])`,
      [chunk],
    );
    for (const row of rows) {
      const set = memberships.get(row.user_id) ?? new Set();
      set.add(row.enterprise_id);
      memberships.set(row.user_id, set);
    }
  }
  return memberships;
}

/**
 * Checks and records who belongs where, in the fixture's order: a managed user of one EMU enterprise
 * cannot appear in another, a user who already belongs elsewhere cannot become managed, and an
 * organization cannot move between enterprises. Then writes the roles and managed users.
 */
export async function loadPeople(
  tx: Queryable,
  parsed: ParsedFixture,
  enterprises: Map<string, EnterpriseRow>,
  organizations: Map<string, OrganizationRow>,
  users: Map<string, UserRow>,
  fail: Fail,
): Promise<void> {
  const memberships = await existingMemberships(
    tx,
    [...users.values()].filter((user) => user.managed_by_enterprise_id === null).map((user) => user.id),
  );
  const enterpriseRoles: [number, number, string][] = [];
  const organizationRoles: [number, number, string][] = [];
  const newlyManaged: [number, number][] = [];
  const firstOwners: [number, number][] = [];

  for (const [e, enterprise] of (parsed.fixture.enterprises ?? []).entries()) {
    const at = ["enterprises", e];
    const row = enterprises.get(enterprise.slug.toLowerCase())!;
    if (enterprise.emu !== undefined && row.emu !== enterprise.emu) {
      fail(
        [...at, "emu"],
        `enterprise "${enterprise.slug}" already exists with emu: ${row.emu}; it cannot be changed by loading a fixture`,
      );
    }
    const people = (logins: string[] | undefined, path: Path): number[] =>
      (logins ?? []).map((login, i) => {
        const user = users.get(login.toLowerCase())!;
        if (user.managed_by_enterprise_id !== null && user.managed_by_enterprise_id !== row.id)
          fail([...path, i], `user "${login}" is a managed user of another EMU enterprise`);
        const belongsTo = memberships.get(user.id) ?? new Set<number>();
        if (row.emu && user.managed_by_enterprise_id === null) {
          if ([...belongsTo].some((enterpriseId) => enterpriseId !== row.id))
            fail(
              [...path, i],
              `user "${login}" already belongs to another enterprise and cannot become a managed user of "${enterprise.slug}"`,
            );
          user.managed_by_enterprise_id = row.id;
          newlyManaged.push([user.id, row.id]);
        }
        belongsTo.add(row.id);
        memberships.set(user.id, belongsTo);
        return user.id;
      });
    const owners = people(enterprise.owners, [...at, "owners"]);
    for (const id of owners) enterpriseRoles.push([row.id, id, "owner"]);
    if (row.emu && row.first_owner_id === null && owners[0] !== undefined) {
      row.first_owner_id = owners[0];
      firstOwners.push([row.id, owners[0]]);
    }
    for (const id of people(enterprise.credential_managers, [...at, "credential_managers"]))
      enterpriseRoles.push([row.id, id, "credential_manager"]);
    for (const id of people(enterprise.guest_collaborators, [...at, "guest_collaborators"]))
      enterpriseRoles.push([row.id, id, "guest_collaborator"]);

    for (const [o, organization] of (enterprise.organizations ?? []).entries()) {
      const orgAt = [...at, "organizations", o];
      const org = organizations.get(organization.login.toLowerCase())!;
      if (org.enterprise_id !== row.id)
        fail([...orgAt, "login"], `organization "${organization.login}" already belongs to another enterprise`);
      for (const [field, role] of [
        ["owners", "owner"],
        ["members", "member"],
        ["outside_collaborators", "outside_collaborator"],
      ] as const) {
        for (const id of people(organization[field], [...orgAt, field])) organizationRoles.push([org.id, id, role]);
      }
    }
  }

  for (const chunk of chunks(newlyManaged)) {
    await tx.query(
      `update users u set managed_by_enterprise_id = m.enterprise_id
         from unnest($1::bigint[], $2::bigint[]) as m(user_id, enterprise_id) where u.id = m.user_id`,
      columns(chunk),
    );
  }
  for (const chunk of chunks(firstOwners)) {
    await tx.query(
      `update enterprises e set first_owner_id = f.user_id
         from unnest($1::bigint[], $2::bigint[]) as f(enterprise_id, user_id) where e.id = f.enterprise_id`,
      columns(chunk),
    );
  }
  for (const chunk of chunks(enterpriseRoles)) {
    await tx.query(
      `insert into enterprise_roles (enterprise_id, user_id, role)
       select * from unnest($1::bigint[], $2::bigint[], $3::text[]) on conflict do nothing`,
      columns(chunk),
    );
  }
  for (const chunk of chunks(organizationRoles)) {
    await tx.query(
      `insert into organization_roles (organization_id, user_id, role)
       select * from unnest($1::bigint[], $2::bigint[], $3::text[]) on conflict do nothing`,
      columns(chunk),
    );
  }
}
