// Applies a parsed fixture in one transaction: everything or nothing. Loading the same fixture
// again only adds what is new; a revoked authorization or destroyed credential stays that way.
import { factsOf } from "../domain/credential-types.ts";
import { type FixtureCredential, FixtureError, type ParsedFixture } from "../domain/fixture.ts";
import type { CredentialType } from "../domain/model.ts";
import { AUDIT_ACTIONS } from "../domain/revocation.ts";
import { generateToken, hashToken, lastEight, sshFingerprint, type TokenCredentialType } from "../domain/tokens.ts";
import { authorizationEventData, insertAuditEvents } from "./audit.ts";
import type { Db, Queryable } from "./db.ts";

export interface CreatedCredential {
  id: number;
  login: string;
  type: CredentialType;
  note: string | null;
  /** Only for tokens credauth generated: shown once to whoever loaded the fixture, never stored. */
  token?: string;
}

export interface SeedReport {
  created: { enterprises: number; organizations: number; users: number; credentials: number; authorizations: number };
  credentials: CreatedCredential[];
}

async function ensureUser(
  tx: Queryable,
  login: string,
  report: SeedReport,
): Promise<{ id: number; managedBy: number | null }> {
  const inserted = await tx.query<{ id: number; managed_by_enterprise_id: number | null }>(
    `insert into users (login) values ($1) on conflict ((lower(login))) do nothing returning id, managed_by_enterprise_id`,
    [login],
  );
  if (inserted[0]) {
    report.created.users++;
    return { id: inserted[0].id, managedBy: inserted[0].managed_by_enterprise_id };
  }
  const [row] = await tx.query<{ id: number; managed_by_enterprise_id: number | null }>(
    "select id, managed_by_enterprise_id from users where lower(login) = lower($1)",
    [login],
  );
  return { id: row!.id, managedBy: row!.managed_by_enterprise_id };
}

/**
 * Grants a credential access to an SSO organization, as its owner does, and audits it
 * (org_credential_authorization.grant). False when an authorization already exists, live or
 * revoked: a revoked one is never granted again.
 */
export async function grantAuthorization(
  tx: Queryable,
  credentialId: number,
  organizationId: number,
): Promise<boolean> {
  const [row] = await tx.query<{ granted: number }>(
    `with granted as (
       insert into credential_authorizations (credential_id, organization_id) values ($1, $2)
       on conflict (credential_id, organization_id) do nothing
       returning id, credential_id, organization_id),
     events as (
       ${insertAuditEvents(`select $3, u.id, u.login, u.id, u.login, o.id, o.login, e.id, e.slug, null, g.id,
              ${authorizationEventData("c", "g.id")}
         from granted g
         join credentials c on c.id = g.credential_id
         join users u on u.id = c.user_id
         join organizations o on o.id = g.organization_id
         join enterprises e on e.id = o.enterprise_id`)})
     select count(*)::int as granted from granted`,
    [credentialId, organizationId, AUDIT_ACTIONS.authorizationGranted],
  );
  return (row?.granted ?? 0) > 0;
}

/** No enterprise yet: a fresh database, where `serve --demo` loads the demo world. */
export async function isEmptyWorld(db: Queryable): Promise<boolean> {
  const rows = await db.query("select 1 from enterprises limit 1");
  return rows.length === 0;
}

interface KnownCredential {
  id: number;
  /** Destroyed credentials are gone for good: nothing is granted to them again. */
  destroyed: boolean;
}

async function findCredential(
  tx: Queryable,
  where: string,
  values: unknown[],
): Promise<(KnownCredential & { userId: number }) | null> {
  const [row] = await tx.query<{ id: number; user_id: number; destroyed: boolean }>(
    `select id, user_id, destroyed_at is not null as destroyed from credentials where ${where}`,
    values,
  );
  return row ? { id: row.id, userId: row.user_id, destroyed: row.destroyed } : null;
}

/** An SSH key is the same key when its fingerprint is, for the same user. */
async function ensureSshKey(
  tx: Queryable,
  userId: number,
  login: string,
  credential: FixtureCredential,
  report: SeedReport,
): Promise<KnownCredential> {
  const key = credential.key!.trim(); // parseFixture checked it is an OpenSSH public key
  const fingerprint = sshFingerprint(key)!;
  const existing = await findCredential(tx, "user_id = $1 and type = 'ssh_key' and fingerprint = $2", [
    userId,
    fingerprint,
  ]);
  if (existing) return existing;
  const [row] = await tx.query<{ id: number }>(
    `insert into credentials (user_id, type, public_key, fingerprint, title) values ($1, 'ssh_key', $2, $3, $4)
     on conflict (user_id, fingerprint) where type = 'ssh_key' do nothing returning id`,
    [userId, key, fingerprint, credential.title ?? null],
  );
  // Another transaction inserted it since we looked (two provisioning requests at once).
  if (!row)
    return (await findCredential(tx, "user_id = $1 and type = 'ssh_key' and fingerprint = $2", [userId, fingerprint]))!;
  report.created.credentials++;
  report.credentials.push({ id: row!.id, login, type: "ssh_key", note: credential.title ?? null });
  return { id: row!.id, destroyed: false };
}

/**
 * A token credential is the same when its token is; one declared without a token is the same when
 * the user, type and note (or title) are, so loading the fixture again does not mint another.
 */
async function ensureTokenCredential(
  tx: Queryable,
  userId: number,
  login: string,
  credential: FixtureCredential,
  report: SeedReport,
  tokenOfAnotherUser: () => never,
): Promise<KnownCredential> {
  const type = credential.type;
  const fixtureKey = credential.token === undefined ? (credential.note ?? credential.title ?? "") : null;
  const lookUp = () =>
    credential.token !== undefined
      ? findCredential(tx, "token_hash = $1", [hashToken(credential.token)])
      : findCredential(tx, "user_id = $1 and type = $2 and fixture_key = $3", [userId, type, fixtureKey]);
  const existing = await lookUp();
  if (existing) {
    if (existing.userId !== userId) tokenOfAnotherUser();
    return existing;
  }
  const token = credential.token ?? generateToken(type as TokenCredentialType);
  const [row] = await tx.query<{ id: number }>(
    `insert into credentials (user_id, type, token_hash, token_last_eight, title, note, scopes, permissions,
                              resource_owner, fixture_key, expires_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     on conflict do nothing returning id`,
    [
      userId,
      type,
      hashToken(token),
      lastEight(token),
      credential.title ?? null,
      credential.note ?? null,
      credential.scopes ?? [],
      JSON.stringify(credential.permissions ?? {}),
      credential.resource_owner ?? null,
      fixtureKey,
      credential.expires_at ? new Date(credential.expires_at) : null,
    ],
  );
  if (!row) {
    // Another transaction inserted it since we looked (two provisioning requests at once).
    const raced = await lookUp();
    if (!raced || raced.userId !== userId) tokenOfAnotherUser();
    return raced!;
  }
  report.created.credentials++;
  report.credentials.push({
    id: row!.id,
    login,
    type,
    note: credential.note ?? null,
    ...(credential.token === undefined ? { token } : {}),
  });
  return { id: row!.id, destroyed: false };
}

export async function applyFixture(db: Db, parsed: ParsedFixture): Promise<SeedReport> {
  const { fixture, locate, source } = parsed;
  const fail = (path: (string | number)[], problem: string): never => {
    const readable = path.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
    throw new FixtureError(source, readable, locate(path), problem);
  };
  return db.transaction(async (tx) => {
    const report: SeedReport = {
      created: { enterprises: 0, organizations: 0, users: 0, credentials: 0, authorizations: 0 },
      credentials: [],
    };
    for (const [e, enterprise] of (fixture.enterprises ?? []).entries()) {
      const at = ["enterprises", e];
      const inserted = await tx.query<{ id: number }>(
        `insert into enterprises (slug, name, emu) values ($1, $2, $3)
         on conflict ((lower(slug))) do nothing returning id`,
        [enterprise.slug, enterprise.name ?? enterprise.slug, enterprise.emu ?? false],
      );
      if (inserted[0]) report.created.enterprises++;
      const [row] = await tx.query<{ id: number; emu: boolean; first_owner_id: number | null }>(
        "select id, emu, first_owner_id from enterprises where lower(slug) = lower($1)",
        [enterprise.slug],
      );
      const enterpriseId = row!.id;
      if (enterprise.emu !== undefined && row!.emu !== enterprise.emu) {
        fail(
          [...at, "emu"],
          `enterprise "${enterprise.slug}" already exists with emu: ${row!.emu}; it cannot be changed by loading a fixture`,
        );
      }
      const emu = row!.emu;

      const people = async (logins: string[] | undefined, path: (string | number)[]): Promise<number[]> => {
        const ids: number[] = [];
        for (const [i, login] of (logins ?? []).entries()) {
          const user = await ensureUser(tx, login, report);
          if (user.managedBy !== null && user.managedBy !== enterpriseId) {
            fail([...path, i], `user "${login}" is a managed user of another EMU enterprise`);
          }
          if (emu && user.managedBy === null) {
            const elsewhere = await tx.query(
              `select 1 from enterprise_roles where user_id = $1 and enterprise_id <> $2
               union all select 1 from organization_roles r join organizations o on o.id = r.organization_id
                          where r.user_id = $1 and o.enterprise_id <> $2 limit 1`,
              [user.id, enterpriseId],
            );
            if (elsewhere.length > 0)
              fail(
                [...path, i],
                `user "${login}" already belongs to another enterprise and cannot become a managed user of "${enterprise.slug}"`,
              );
            await tx.query("update users set managed_by_enterprise_id = $2 where id = $1", [user.id, enterpriseId]);
          }
          ids.push(user.id);
        }
        return ids;
      };
      const grant = async (ids: number[], role: string) => {
        for (const id of ids) {
          await tx.query(
            "insert into enterprise_roles (enterprise_id, user_id, role) values ($1, $2, $3) on conflict do nothing",
            [enterpriseId, id, role],
          );
        }
      };
      const owners = await people(enterprise.owners, [...at, "owners"]);
      await grant(owners, "owner");
      if (emu && row!.first_owner_id === null && owners[0] !== undefined) {
        await tx.query("update enterprises set first_owner_id = $2 where id = $1", [enterpriseId, owners[0]]);
      }
      await grant(await people(enterprise.credential_managers, [...at, "credential_managers"]), "credential_manager");
      await grant(await people(enterprise.guest_collaborators, [...at, "guest_collaborators"]), "guest_collaborator");

      for (const [o, organization] of (enterprise.organizations ?? []).entries()) {
        const orgAt = [...at, "organizations", o];
        const orgInserted = await tx.query<{ id: number }>(
          `insert into organizations (login, enterprise_id, saml_sso) values ($1, $2, $3)
           on conflict ((lower(login))) do nothing returning id`,
          [organization.login, enterpriseId, organization.saml_sso ?? true],
        );
        if (orgInserted[0]) report.created.organizations++;
        const [orgRow] = await tx.query<{ id: number; enterprise_id: number }>(
          "select id, enterprise_id from organizations where lower(login) = lower($1)",
          [organization.login],
        );
        if (orgRow!.enterprise_id !== enterpriseId)
          fail([...orgAt, "login"], `organization "${organization.login}" already belongs to another enterprise`);
        for (const [field, role] of [
          ["owners", "owner"],
          ["members", "member"],
          ["outside_collaborators", "outside_collaborator"],
        ] as const) {
          for (const id of await people(organization[field], [...orgAt, field])) {
            await tx.query(
              "insert into organization_roles (organization_id, user_id, role) values ($1, $2, $3) on conflict do nothing",
              [orgRow!.id, id, role],
            );
          }
        }
      }
    }

    for (const [u, user] of (fixture.users ?? []).entries()) {
      const owner = await ensureUser(tx, user.login, report);
      for (const [c, credential] of (user.credentials ?? []).entries()) {
        const at = ["users", u, "credentials", c];
        const { id: credentialId, destroyed } =
          factsOf(credential.type).prefix === null // a key, not a token
            ? await ensureSshKey(tx, owner.id, user.login, credential, report)
            : await ensureTokenCredential(tx, owner.id, user.login, credential, report, () =>
                fail([...at, "token"], "this token already belongs to another user"),
              );
        if (destroyed) continue; // a destroyed credential is gone for good, and so are its authorizations
        for (const [a, orgLogin] of (credential.authorized_orgs ?? []).entries()) {
          const [org] = await tx.query<{ id: number }>("select id from organizations where lower(login) = lower($1)", [
            orgLogin,
          ]);
          if (!org) fail([...at, "authorized_orgs", a], `organization "${orgLogin}" is not declared in any enterprise`);
          if (await grantAuthorization(tx, credentialId, org!.id)) report.created.authorizations++;
        }
      }
    }
    return report;
  });
}
