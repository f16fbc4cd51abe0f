import type { Enterprise, EnterpriseRelation, User } from "../domain/model.ts";
import type { Queryable } from "./db.ts";

interface EnterpriseRow {
  id: number;
  slug: string;
  name: string;
  emu: boolean;
  first_owner_id: number | null;
}

const toEnterprise = (row: EnterpriseRow): Enterprise => ({
  id: row.id,
  slug: row.slug,
  name: row.name,
  emu: row.emu,
  firstOwnerId: row.first_owner_id,
});

export async function findEnterpriseBySlug(db: Queryable, slug: string): Promise<Enterprise | null> {
  const [row] = await db.query<EnterpriseRow>(
    "select id, slug, name, emu, first_owner_id from enterprises where lower(slug) = lower($1)",
    [slug],
  );
  return row ? toEnterprise(row) : null;
}

export async function findEnterpriseById(db: Queryable, id: number): Promise<Enterprise | null> {
  const [row] = await db.query<EnterpriseRow>(
    "select id, slug, name, emu, first_owner_id from enterprises where id = $1",
    [id],
  );
  return row ? toEnterprise(row) : null;
}

/** User $2's standing in enterprise `e`, as three columns (is_owner, is_credential_manager, is_related). */
const RELATION_COLUMNS = `
       exists (select 1 from enterprise_roles where enterprise_id = e.id and user_id = $2 and role = 'owner') as is_owner,
       exists (select 1 from enterprise_roles where enterprise_id = e.id and user_id = $2 and role = 'credential_manager') as is_credential_manager,
       exists (select 1 from enterprise_roles where enterprise_id = e.id and user_id = $2)
         or exists (select 1 from organization_roles r join organizations o on o.id = r.organization_id
                    where o.enterprise_id = e.id and r.user_id = $2)
         or exists (select 1 from users where id = $2 and managed_by_enterprise_id = e.id) as is_related`;

interface RelationRow {
  is_owner: boolean;
  is_credential_manager: boolean;
  is_related: boolean;
}

const toRelation = (row: RelationRow | undefined): EnterpriseRelation => ({
  isOwner: row?.is_owner ?? false,
  isCredentialManager: row?.is_credential_manager ?? false,
  isRelated: row?.is_related ?? false,
});

/** A user's standing in an enterprise: roles, and whether they belong to it at all. */
export async function findEnterpriseRelation(
  db: Queryable,
  enterpriseId: number,
  userId: number,
): Promise<EnterpriseRelation> {
  const [row] = await db.query<RelationRow>(`select ${RELATION_COLUMNS} from (select $1::bigint as id) e`, [
    enterpriseId,
    userId,
  ]);
  return toRelation(row);
}

/**
 * The enterprise with this slug and the caller's standing in it, in one round trip, for the
 * authorization rule to judge before anything else is read. Null when there is no such enterprise.
 */
export async function findEnterpriseWithRelation(
  db: Queryable,
  slug: string,
  userId: number,
): Promise<{ enterprise: Enterprise; relation: EnterpriseRelation } | null> {
  const [row] = await db.query<EnterpriseRow & RelationRow>(
    `select e.id, e.slug, e.name, e.emu, e.first_owner_id, ${RELATION_COLUMNS} from enterprises e where lower(e.slug) = lower($1)`,
    [slug, userId],
  );
  return row ? { enterprise: toEnterprise(row), relation: toRelation(row) } : null;
}

/**
 * A user who belongs to the enterprise (any role, any of its organizations, or managed by it),
 * by login; null for unknown users and for users with nothing to do with it.
 */
export async function findEnterprisePerson(db: Queryable, enterpriseId: number, login: string): Promise<User | null> {
  const [row] = await db.query<{ id: number; login: string; created_at: Date }>(
    `select u.id, u.login, u.created_at from users u
      where lower(u.login) = lower($2)
        and (u.managed_by_enterprise_id = $1
          or exists (select 1 from enterprise_roles where enterprise_id = $1 and user_id = u.id)
          or exists (select 1 from organization_roles r join organizations o on o.id = r.organization_id
                     where o.enterprise_id = $1 and r.user_id = u.id))`,
    [enterpriseId, login],
  );
  return row ? { id: row.id, login: row.login, createdAt: row.created_at } : null;
}
