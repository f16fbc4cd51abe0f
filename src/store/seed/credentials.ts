// A fixture's credentials, created where missing (a token of credauth's making generated here), and
// their grants: each authorization audited as GitHub audits an owner's grant.
import { factsOf } from "../../domain/credential-types.ts";
import { authorizationsOf, type FixtureCredential, type ParsedFixture } from "../../domain/fixture.ts";
import type { CredentialType } from "../../domain/model.ts";
import { AUDIT_ACTIONS } from "../../domain/revocation.ts";
import { generateToken, hashToken, lastEight, sshFingerprint, type TokenCredentialType } from "../../domain/tokens.ts";
import { grantEventData, insertAuditEvents } from "../audit.ts";
import type { Queryable } from "../db.ts";
import {
  chunks,
  columns,
  type Fail,
  type OrganizationRow,
  ROWS_PER_STATEMENT,
  type SeedReport,
  type UserRow,
} from "./rows.ts";

const GRANT = `with granted as (
       insert into credential_authorizations (credential_id, organization_id, authorized_at, accessed_at)
       select credential_id, organization_id, coalesce(authorized_at, (select credauth_now())), accessed_at
         from unnest($1::bigint[], $2::bigint[], $4::timestamptz[], $5::timestamptz[]) with ordinality
                as pair(credential_id, organization_id, authorized_at, accessed_at, n) order by n
       on conflict (credential_id, organization_id) do nothing
       returning id, credential_id, organization_id),
     events as (
       ${insertAuditEvents(`select $3, u.id, u.login, u.id, u.login, o.id, o.login, e.id, e.slug, null, g.id,
              ${grantEventData("c", "g.id")}
         from granted g
         join credentials c on c.id = g.credential_id
         join users u on u.id = c.user_id
         join organizations o on o.id = g.organization_id
         join enterprises e on e.id = o.enterprise_id`)})
     select count(*)::int as granted from granted`;

/** Authorizations to grant: pair i is credentialIds[i] in organizationIds[i], with its times (null: now, never). */
interface Grants {
  credentialIds: number[];
  organizationIds: number[];
  authorizedAt: (string | null)[];
  accessedAt: (string | null)[];
}

const noGrants = (): Grants => ({ credentialIds: [], organizationIds: [], authorizedAt: [], accessedAt: [] });

/**
 * Grants credentials access to SSO organizations, as their owners do, and audits each grant
 * (org_credential_authorization.grant). A pair that already has an authorization, live or revoked,
 * is left alone: a revoked one is never granted again. Returns how many were granted.
 */
async function grantChunk(tx: Queryable, grants: Grants): Promise<number> {
  if (grants.credentialIds.length === 0) return 0;
  const [row] = await tx.query<{ granted: number }>(GRANT, [
    grants.credentialIds,
    grants.organizationIds,
    AUDIT_ACTIONS.authorizationGranted,
    grants.authorizedAt,
    grants.accessedAt,
  ]);
  return row?.granted ?? 0;
}

/** Grants one credential access to one organization now (see grantChunk); false when it already had it. */
export async function grantAuthorization(
  tx: Queryable,
  credentialId: number,
  organizationId: number,
): Promise<boolean> {
  const grant = {
    credentialIds: [credentialId],
    organizationIds: [organizationId],
    authorizedAt: [null],
    accessedAt: [null],
  };
  return (await grantChunk(tx, grant)) > 0;
}

/**
 * What makes a credential the same one on a re-load: an SSH key its fingerprint (per user), a token
 * its hash, and a token credauth generates its user, type and note (or title).
 */
type Identity =
  | { kind: "key"; userId: number; fingerprint: string }
  | { kind: "token"; hash: string }
  | { kind: "generated"; userId: number; type: CredentialType; fixtureKey: string };

function identityKey(identity: Identity): string {
  switch (identity.kind) {
    case "key":
      return `key ${identity.userId} ${identity.fingerprint}`;
    case "token":
      return `token ${identity.hash}`;
    case "generated":
      return `generated ${identity.userId} ${identity.type} ${identity.fixtureKey}`;
  }
}

interface FoundCredential {
  id: number;
  userId: number;
  /** Destroyed credentials are gone for good: nothing is granted to them again. */
  destroyed: boolean;
}

/** The credentials that already exist with these identities, by identityKey. */
async function findCredentials(tx: Queryable, identities: Identity[]): Promise<Map<string, FoundCredential>> {
  const found = new Map<string, FoundCredential>();
  const keep = (rows: { id: number; user_id: number; destroyed: boolean; key: string }[]) => {
    for (const row of rows) found.set(row.key, { id: row.id, userId: row.user_id, destroyed: row.destroyed });
  };
  const keys = identities.filter((i) => i.kind === "key");
  const tokens = identities.filter((i) => i.kind === "token");
  const generated = identities.filter((i) => i.kind === "generated");
  for (const chunk of chunks(keys)) {
    keep(
      await tx.query(
        `select c.id, c.user_id, c.destroyed_at is not null as destroyed, 'key ' || c.user_id || ' ' || c.fingerprint as key
           from unnest($1::bigint[], $2::text[]) as k(user_id, fingerprint)
           join credentials c on c.user_id = k.user_id and c.type = 'ssh_key' and c.fingerprint = k.fingerprint`,
        [chunk.map((k) => k.userId), chunk.map((k) => k.fingerprint)],
      ),
    );
  }
  for (const chunk of chunks(tokens)) {
    keep(
      await tx.query(
        `select c.id, c.user_id, c.destroyed_at is not null as destroyed, 'token ' || t.hash as key
           from unnest($1::text[]) as t(hash) join credentials c on c.token_hash = decode(t.hash, 'hex')`,
        [chunk.map((t) => t.hash)],
      ),
    );
  }
  for (const chunk of chunks(generated)) {
    keep(
      await tx.query(
        `select c.id, c.user_id, c.destroyed_at is not null as destroyed,
                'generated ' || c.user_id || ' ' || c.type || ' ' || c.fixture_key as key
           from unnest($1::bigint[], $2::text[], $3::text[]) as g(user_id, type, fixture_key)
           join credentials c on c.user_id = g.user_id and c.type = g.type and c.fixture_key = g.fixture_key`,
        [chunk.map((g) => g.userId), chunk.map((g) => g.type), chunk.map((g) => g.fixtureKey)],
      ),
    );
  }
  return found;
}

/** A credential of the fixture that does not exist yet, as the row to insert. */
type CredentialRow = [
  userId: number,
  type: string,
  tokenHash: string | null,
  lastEight: string | null,
  title: string | null,
  note: string | null,
  scopes: string,
  permissions: string,
  resourceOwner: string | null,
  fixtureKey: string | null,
  expiresAt: string | null,
  publicKey: string | null,
  fingerprint: string | null,
  createdAt: string | null,
  appSlug: string | null,
  /** A fine-grained PAT's request for access not yet reviewed: its reason ('' for none); null when approved. */
  accessRequestReason: string | null,
];

async function insertCredentials(tx: Queryable, rows: CredentialRow[]): Promise<void> {
  for (const chunk of chunks(rows)) {
    await tx.query(
      `insert into credentials (user_id, type, token_hash, token_last_eight, title, note, scopes, permissions,
                                resource_owner, fixture_key, expires_at, public_key, fingerprint, created_at, app_id,
                                org_access, org_access_reason)
       select user_id, type, decode(token_hash, 'hex'), last_eight, title, note,
              coalesce(string_to_array(nullif(scopes, ''), ','), '{}'), permissions::jsonb,
              resource_owner, fixture_key, expires_at, public_key, fingerprint,
              coalesce(created_at, (select credauth_now())),
              (select a.id from apps a where lower(a.slug) = lower(c.app_slug)),
              case when request_reason is null then 'approved' else 'pending' end, nullif(request_reason, '')
         from unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                     $9::text[], $10::text[], $11::timestamptz[], $12::text[], $13::text[], $14::timestamptz[],
                     $15::text[], $16::text[])
              with ordinality
              as c(user_id, type, token_hash, last_eight, title, note, scopes, permissions,
                   resource_owner, fixture_key, expires_at, public_key, fingerprint, created_at, app_slug,
                   request_reason, n)
        order by n
       on conflict do nothing`,
      columns(chunk),
    );
  }
}

/** One credential as the fixture declares it, with its owner and what identifies it. */
interface DeclaredCredential {
  user: number;
  index: number;
  credential: FixtureCredential;
  userId: number;
  login: string;
  identity: Identity;
}

function* declaredCredentials(parsed: ParsedFixture, users: Map<string, UserRow>): Generator<DeclaredCredential> {
  let u = -1;
  for (const user of parsed.users()) {
    u++;
    const userId = users.get(user.login.toLowerCase())!.id;
    for (const [c, credential] of (user.credentials ?? []).entries()) {
      const identity: Identity =
        factsOf(credential.type).prefix === null // a key, not a token
          ? { kind: "key", userId, fingerprint: sshFingerprint(credential.key!.trim())! } // parseFixture checked it
          : credential.token !== undefined
            ? { kind: "token", hash: hashToken(credential.token).toString("hex") }
            : {
                kind: "generated",
                userId,
                type: credential.type,
                fixtureKey: credential.note ?? credential.title ?? "",
              };
      yield { user: u, index: c, credential, userId, login: user.login, identity };
    }
  }
}

const isoOrNull = (time: string | undefined) => (time === undefined ? null : new Date(time).toISOString());

/** The row that creates a declared credential, and the token credauth generated for it if any. */
function newCredentialRow(declared: DeclaredCredential): { row: CredentialRow; generatedToken: string | null } {
  const { credential, identity, userId } = declared;
  if (identity.kind === "key") {
    const key = credential.key!.trim();
    return {
      row: [
        userId,
        "ssh_key",
        null,
        null,
        credential.title ?? null,
        null,
        "",
        "{}",
        null,
        null,
        null,
        key,
        identity.fingerprint,
        isoOrNull(credential.created_at),
        null,
        null,
      ],
      generatedToken: null,
    };
  }
  const generatedToken = credential.token === undefined ? generateToken(credential.type as TokenCredentialType) : null;
  const token = credential.token ?? generatedToken!;
  return {
    row: [
      userId,
      credential.type,
      hashToken(token).toString("hex"),
      lastEight(token),
      credential.title ?? null,
      credential.note ?? null,
      (credential.scopes ?? []).join(","),
      JSON.stringify(credential.permissions ?? {}),
      credential.resource_owner ?? null,
      identity.kind === "generated" ? identity.fixtureKey : null,
      isoOrNull(credential.expires_at),
      null,
      null,
      isoOrNull(credential.created_at),
      credential.app ?? null,
      credential.access_request === undefined ? null : (credential.access_request.reason ?? ""),
    ],
    generatedToken,
  };
}

/**
 * Creates the fixture's credentials that do not exist yet and grants their authorized_orgs, a
 * few thousand credentials at a time, so memory holds one batch and not the world. Credentials are
 * found again after each insert, so one created meanwhile by another transaction (two provisioning
 * requests at once) is used, not duplicated.
 */
export async function loadCredentials(
  tx: Queryable,
  parsed: ParsedFixture,
  users: Map<string, UserRow>,
  organizations: Map<string, OrganizationRow>,
  report: SeedReport,
  fail: Fail,
  onProgress: (usersDone: number) => void,
  options: { generatedOnly: boolean },
): Promise<void> {
  /** Every credential this load has resolved, so a credential declared twice is one credential. */
  const known = new Map<string, FoundCredential>();
  let grants = noGrants();
  const flushGrants = async () => {
    report.created.authorizations += await grantChunk(tx, grants);
    grants = noGrants();
  };

  let batch: DeclaredCredential[] = [];
  const loadBatch = async () => {
    const unknown = batch.filter((declared) => !known.has(identityKey(declared.identity)));
    for (const [key, found] of await findCredentials(
      tx,
      unknown.map((declared) => declared.identity),
    ))
      known.set(key, found);
    const created = new Map<string, { declared: DeclaredCredential; generatedToken: string | null }>();
    const rows: CredentialRow[] = [];
    for (const declared of unknown) {
      const key = identityKey(declared.identity);
      if (known.has(key) || created.has(key)) continue;
      const { row, generatedToken } = newCredentialRow(declared);
      created.set(key, { declared, generatedToken });
      rows.push(row);
    }
    await insertCredentials(tx, rows);
    const inserted = await findCredentials(
      tx,
      [...created.values()].map((c) => c.declared.identity),
    );
    for (const [key, { declared, generatedToken }] of created) {
      const found = inserted.get(key);
      if (!found) continue; // refused below, at the declaration
      known.set(key, found);
      report.created.credentials++;
      // A large load reported to a file keeps only what it must show once: the generated tokens.
      if (options.generatedOnly && generatedToken === null) continue;
      report.credentials.push({
        id: found.id,
        login: declared.login,
        type: declared.credential.type,
        note: (declared.identity.kind === "key" ? declared.credential.title : declared.credential.note) ?? null,
        ...(generatedToken !== null ? { token: generatedToken } : {}),
      });
    }
    for (const declared of batch) {
      const at = ["users", declared.user, "credentials", declared.index];
      const credential = known.get(identityKey(declared.identity));
      // A token is one credential: the same token declared for two users, or already another's, is refused.
      if (!credential || credential.userId !== declared.userId)
        fail([...at, "token"], "this token already belongs to another user");
      if (credential.destroyed) continue; // a destroyed credential is gone for good, and so are its authorizations
      for (const [a, { org, authorizedAt, accessedAt }] of authorizationsOf(declared.credential).entries()) {
        const organization = organizations.get(org.toLowerCase());
        if (!organization)
          fail([...at, "authorized_orgs", a], `organization "${org}" is not declared in any enterprise`);
        grants.credentialIds.push(credential.id);
        grants.organizationIds.push(organization.id);
        grants.authorizedAt.push(isoOrNull(authorizedAt ?? undefined));
        grants.accessedAt.push(isoOrNull(accessedAt ?? undefined));
      }
      if (grants.credentialIds.length >= ROWS_PER_STATEMENT) await flushGrants();
    }
    if (batch.length > 0) onProgress(batch.at(-1)!.user + 1);
    batch = [];
  };

  for (const declared of declaredCredentials(parsed, users)) {
    batch.push(declared);
    if (batch.length >= ROWS_PER_STATEMENT) await loadBatch();
  }
  await loadBatch();
  await flushGrants();
}
