// A benchmark enterprise built with set-based SQL: one EMU enterprise, its organizations, users,
// credentials of every type and SSO authorizations spread over them. Tokens are derived from the
// credential id, so the harness can use any of them without storing secrets anywhere.
import { hashToken } from "../src/domain/tokens.ts";
import type { Db } from "../src/store/db.ts";
import { migrate } from "../src/store/migrate.ts";

export interface WorldSize {
  organizations: number;
  users: number;
  credentials: number;
  authorizations: number;
}

export const FULL_SIZE: WorldSize = {
  organizations: 100,
  users: 100_000,
  credentials: 250_000,
  authorizations: 1_000_000,
};
/** Enough users for a thousand containment trials; used for the load scenarios of a full run. */
export const LOAD_SIZE: WorldSize = { organizations: 20, users: 10_000, credentials: 25_000, authorizations: 100_000 };
/** The enterprise size people run most (issue 24): 4,000 users, twelve authorizations each. */
export const USERS_4K_SIZE: WorldSize = {
  organizations: 20,
  users: 4_000,
  credentials: 10_000,
  authorizations: 48_000,
};
export const USERS_20K_SIZE: WorldSize = {
  organizations: 50,
  users: 20_000,
  credentials: 50_000,
  authorizations: 200_000,
};
export const QUICK_SIZE: WorldSize = { organizations: 20, users: 2_000, credentials: 5_000, authorizations: 20_000 };
export const SMOKE_SIZE: WorldSize = { organizations: 4, users: 40, credentials: 100, authorizations: 400 };

export const ENTERPRISE = "bench";
export const ADMIN_TOKEN = `ghp_${"benchAdminFirstOwner".padEnd(36, "0")}`;

/** Credential g's type is TYPE_BY_LAST_DIGIT[g % 10]: four in ten classic PATs, one in ten SSH keys. */
export const TYPE_BY_LAST_DIGIT = [
  "classic_pat",
  "classic_pat",
  "classic_pat",
  "classic_pat",
  "fine_grained_pat",
  "fine_grained_pat",
  "oauth_app_token",
  "oauth_app_token",
  "github_app_token",
  "ssh_key",
] as const;

/** TYPE_BY_LAST_DIGIT as SQL over the credential number `g`. */
const TYPE_BY_DIGIT = `case g % 10 ${TYPE_BY_LAST_DIGIT.map((type, digit) => `when ${digit} then '${type}'`).join(" ")} end`;

/** The token of a classic PAT credential (ids with g % 10 in 0..3). */
export function classicToken(credentialId: number): string {
  return `ghp_${String(credentialId).padStart(36, "0")}`;
}

/**
 * `count` classic PATs of distinct users, from user `fromUser` on: credential g belongs to user
 * ((g - 1) % users) + 1, so for g up to the number of users, credential g is user g's.
 */
export function classicCredentials(size: WorldSize, fromUser: number, count: number): { id: number; login: string }[] {
  const found: { id: number; login: string }[] = [];
  for (let g = fromUser; g <= Math.min(size.users, size.credentials) && found.length < count; g++) {
    if (g % 10 >= 1 && g % 10 <= 3) found.push({ id: g, login: `bench_user_${g}` });
  }
  return found;
}

export async function buildWorld(db: Db, size: WorldSize): Promise<void> {
  await migrate(db);
  const perCredential = Math.round(size.authorizations / size.credentials);
  await db.transaction(async (tx) => {
    await tx.query(
      "insert into enterprises (id, slug, name, emu) overriding system value values (1, $1, 'Bench Inc.', true)",
      [ENTERPRISE],
    );
    await tx.query(
      `insert into users (id, login, managed_by_enterprise_id) overriding system value
       select g, 'bench_user_' || g, 1 from generate_series(1, $1::int) g`,
      [size.users],
    );
    const adminId = size.users + 1;
    await tx.query(
      "insert into users (id, login, managed_by_enterprise_id) overriding system value values ($1, 'bench_admin', 1)",
      [adminId],
    );
    await tx.query("update enterprises set first_owner_id = $1 where id = 1", [adminId]);
    await tx.query("insert into enterprise_roles (enterprise_id, user_id, role) values (1, $1, 'owner')", [adminId]);
    await tx.query(
      `insert into organizations (id, login, enterprise_id) overriding system value
       select g, 'bench-org-' || g, 1 from generate_series(1, $1::int) g`,
      [size.organizations],
    );
    await tx.query(
      `insert into organization_roles (organization_id, user_id, role)
       select ((g - 1) % $2::int) + 1, g, 'member' from generate_series(1, $1::int) g`,
      [size.users, size.organizations],
    );
    await tx.query(
      `insert into credentials (id, user_id, type, token_hash, token_last_eight, fingerprint, public_key, title, scopes)
       overriding system value
       select g, ((g - 1) % $2::int) + 1, t.type,
              case t.type when 'ssh_key' then null else sha256(convert_to(t.token, 'UTF8')) end,
              case t.type when 'ssh_key' then null else right(t.token, 8) end,
              case t.type when 'ssh_key' then 'SHA256:bench' || g end,
              case t.type when 'ssh_key' then 'ssh-ed25519 AAAAbench' || g end,
              case t.type when 'ssh_key' then 'bench key' end,
              case when t.type in ('classic_pat', 'oauth_app_token') then '{repo,read:org}'::text[] else '{}'::text[] end
         from generate_series(1, $1::int) g
         cross join lateral (select ${TYPE_BY_DIGIT} as type) k
         cross join lateral (select case k.type
             when 'classic_pat' then 'ghp_' || lpad(g::text, 36, '0')
             when 'oauth_app_token' then 'gho_' || lpad(g::text, 36, '0')
             when 'github_app_token' then 'ghu_' || lpad(g::text, 36, '0')
             when 'fine_grained_pat' then 'github_pat_' || lpad(g::text, 22, '0') || '_' || repeat('0', 59)
             else null end as token, k.type) t`,
      [size.credentials, size.users],
    );
    // Explicit ids do not move the identity sequences: move them past what was inserted.
    for (const table of ["enterprises", "users", "organizations", "credentials"]) {
      await tx.query(`select setval(pg_get_serial_sequence('${table}', 'id'), (select max(id) from ${table}))`);
    }
    await tx.query(
      `insert into credentials (user_id, type, token_hash, token_last_eight, scopes)
       values ($1, 'classic_pat', $2, $3, '{admin:enterprise,read:org,read:audit_log}')`,
      [adminId, hashToken(ADMIN_TOKEN), ADMIN_TOKEN.slice(-8)],
    );
    // Each credential is authorized for `perCredential` distinct organizations.
    await tx.query(
      `insert into credential_authorizations (credential_id, organization_id, authorized_at)
       select g, ((g + k * 7) % $2::int) + 1, now() - interval '1 day'
         from generate_series(1, $1::int) g cross join generate_series(1, $3::int) k`,
      [size.credentials, size.organizations, perCredential],
    );
  });
  await db.exec("analyze");
}
