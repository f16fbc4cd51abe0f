// Applies a parsed fixture in one transaction: everything or nothing. Loading the same fixture
// again only adds what is new; a revoked authorization or destroyed credential stays that way.
//
// The load is set-based: each kind of row is written by multi-row statements over arrays, a few
// thousand rows each, and the checks that need the database read it in a few set-based queries
// up front and then run in memory, in the fixture's order, so the first problem reported is the
// one a row-by-row load would have met first.
import { factsOf } from "../domain/credential-types.ts";
import {
  type FixtureCredential,
  FixtureError,
  type FixtureWebhook,
  fixtureRefusal,
  type ParsedFixture,
} from "../domain/fixture.ts";
import type { CredentialType } from "../domain/model.ts";
import { AUDIT_ACTIONS } from "../domain/revocation.ts";
import { generateToken, hashToken, lastEight, sshFingerprint, type TokenCredentialType } from "../domain/tokens.ts";
import type { SecretBox } from "../secrets.ts";
import { grantEventData, insertAuditEvents } from "./audit.ts";
import type { Db, Queryable } from "./db.ts";
import { unknownNames } from "./fixture-names.ts";

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

/** Rows per multi-row statement: large enough to amortise a round trip, small enough for one message. */
const ROWS_PER_STATEMENT = 5_000;

type Path = (string | number)[];

function chunks<T>(rows: T[]): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) result.push(rows.slice(i, i + ROWS_PER_STATEMENT));
  return result;
}

/** The columns of `rows`, as the arrays an `unnest($1::…[], $2::…[])` takes. */
function columns<T extends unknown[]>(rows: T[]): unknown[][] {
  const width = rows[0]?.length ?? 0;
  return Array.from({ length: width }, (_, i) => rows.map((row) => row[i]));
}

const GRANT = `with granted as (
       insert into credential_authorizations (credential_id, organization_id)
       select credential_id, organization_id from unnest($1::bigint[], $2::bigint[]) with ordinality
                as pair(credential_id, organization_id, n) order by n
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

/**
 * Grants credentials access to SSO organizations, as their owners do, and audits each grant
 * (org_credential_authorization.grant): pair i is credentialIds[i] and organizationIds[i]. A pair
 * that already has an authorization, live or revoked, is left alone: a revoked one is never
 * granted again. Returns how many were granted.
 */
async function grantChunk(tx: Queryable, credentialIds: number[], organizationIds: number[]): Promise<number> {
  if (credentialIds.length === 0) return 0;
  const [row] = await tx.query<{ granted: number }>(GRANT, [
    credentialIds,
    organizationIds,
    AUDIT_ACTIONS.authorizationGranted,
  ]);
  return row?.granted ?? 0;
}

/** Grants one credential access to one organization (see grantChunk); false when it already had it. */
export async function grantAuthorization(
  tx: Queryable,
  credentialId: number,
  organizationId: number,
): Promise<boolean> {
  return (await grantChunk(tx, [credentialId], [organizationId])) > 0;
}

/** No enterprise yet: a fresh database, where `serve --demo` loads the demo world. */
export async function isEmptyWorld(db: Queryable): Promise<boolean> {
  const rows = await db.query("select 1 from enterprises limit 1");
  return rows.length === 0;
}

interface EnterpriseRow {
  id: number;
  slug: string;
  emu: boolean;
  first_owner_id: number | null;
}

async function loadEnterprises(tx: Queryable, parsed: ParsedFixture, report: SeedReport) {
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

interface UserRow {
  id: number;
  login: string;
  managed_by_enterprise_id: number | null;
}

/**
 * Every login the fixture names, in the order a reader meets them (enterprises' people, then
 * users), and every organization its credentials name: one pass over the users, which a compact
 * fixture parses again on each pass.
 */
function namesOf(parsed: ParsedFixture): {
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
      for (const login of credential.authorized_orgs ?? []) authorizedOrganizations.add(login.toLowerCase());
  }
  return { logins: [...logins.values()], emails, authorizedOrganizations };
}

/**
 * Creates the users not there yet. An email address is set where the user has none: like
 * everything else, a re-load adds and never replaces.
 */
async function loadUsers(
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

interface OrganizationRow {
  id: number;
  login: string;
  enterprise_id: number;
}

async function loadOrganizations(
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
async function loadPeople(
  tx: Queryable,
  parsed: ParsedFixture,
  enterprises: Map<string, EnterpriseRow>,
  organizations: Map<string, OrganizationRow>,
  users: Map<string, UserRow>,
  fail: (path: Path, problem: string) => never,
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

/**
 * Adds the webhooks of the fixture's enterprises and organizations that are not there yet (same
 * owner, same URL), their secrets encrypted. A webhook already there takes the secret declared now
 * (how a secret stored under a lost secrets key is recovered), and keeps its own if none is.
 */
async function loadWebhooks(
  tx: Queryable,
  parsed: ParsedFixture,
  enterprises: Map<string, EnterpriseRow>,
  organizations: Map<string, OrganizationRow>,
  secrets: SecretBox | null,
  fail: (path: Path, problem: string) => never,
): Promise<void> {
  const rows: [enterpriseId: number | null, organizationId: number | null, url: string, secret: Buffer | null][] = [];
  const add = (webhooks: FixtureWebhook[] | undefined, owner: [number | null, number | null], at: Path) => {
    for (const [w, webhook] of (webhooks ?? []).entries()) {
      if (webhook.secret !== undefined && secrets === null)
        fail(
          [...at, "webhooks", w, "secret"],
          "a webhook secret is stored encrypted, and no secrets key is configured: set CREDAUTH_SECRETS_KEY (openssl rand -hex 32) or --secrets-key-file",
        );
      rows.push([...owner, webhook.url, webhook.secret === undefined ? null : secrets!.encrypt(webhook.secret)]);
    }
  };
  for (const [e, enterprise] of (parsed.fixture.enterprises ?? []).entries()) {
    add(enterprise.webhooks, [enterprises.get(enterprise.slug.toLowerCase())!.id, null], ["enterprises", e]);
    for (const [o, organization] of (enterprise.organizations ?? []).entries())
      add(
        organization.webhooks,
        [null, organizations.get(organization.login.toLowerCase())!.id],
        ["enterprises", e, "organizations", o],
      );
  }
  for (const chunk of chunks(rows)) {
    await tx.query(
      `insert into webhooks (enterprise_id, organization_id, url, secret_encrypted)
       select * from unnest($1::bigint[], $2::bigint[], $3::text[], $4::bytea[]) as w (e, o, u, s)
        where e is not null
       on conflict (enterprise_id, url) where enterprise_id is not null
       do update set secret_encrypted = coalesce(excluded.secret_encrypted, webhooks.secret_encrypted)`,
      columns(chunk),
    );
    await tx.query(
      `insert into webhooks (enterprise_id, organization_id, url, secret_encrypted)
       select * from unnest($1::bigint[], $2::bigint[], $3::text[], $4::bytea[]) as w (e, o, u, s)
        where o is not null
       on conflict (organization_id, url) where organization_id is not null
       do update set secret_encrypted = coalesce(excluded.secret_encrypted, webhooks.secret_encrypted)`,
      columns(chunk),
    );
  }
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
];

async function insertCredentials(tx: Queryable, rows: CredentialRow[]): Promise<void> {
  for (const chunk of chunks(rows)) {
    await tx.query(
      `insert into credentials (user_id, type, token_hash, token_last_eight, title, note, scopes, permissions,
                                resource_owner, fixture_key, expires_at, public_key, fingerprint)
       select user_id, type, decode(token_hash, 'hex'), last_eight, title, note,
              coalesce(string_to_array(nullif(scopes, ''), ','), '{}'), permissions::jsonb,
              resource_owner, fixture_key, expires_at, public_key, fingerprint
         from unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                     $9::text[], $10::text[], $11::timestamptz[], $12::text[], $13::text[]) with ordinality
              as c(user_id, type, token_hash, last_eight, title, note, scopes, permissions,
                   resource_owner, fixture_key, expires_at, public_key, fingerprint, n)
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
      credential.expires_at ? new Date(credential.expires_at).toISOString() : null,
      null,
      null,
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
async function loadCredentials(
  tx: Queryable,
  parsed: ParsedFixture,
  users: Map<string, UserRow>,
  organizations: Map<string, OrganizationRow>,
  report: SeedReport,
  fail: (path: Path, problem: string) => never,
  onProgress: (usersDone: number) => void,
  options: { generatedOnly: boolean },
): Promise<void> {
  /** Every credential this load has resolved, so a credential declared twice is one credential. */
  const known = new Map<string, FoundCredential>();
  const grants = { credentialIds: [] as number[], organizationIds: [] as number[] };
  const flushGrants = async () => {
    report.created.authorizations += await grantChunk(tx, grants.credentialIds, grants.organizationIds);
    grants.credentialIds = [];
    grants.organizationIds = [];
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
      for (const [a, login] of (declared.credential.authorized_orgs ?? []).entries()) {
        const organization = organizations.get(login.toLowerCase());
        if (!organization)
          fail([...at, "authorized_orgs", a], `organization "${login}" is not declared in any enterprise`);
        grants.credentialIds.push(credential.id);
        grants.organizationIds.push(organization.id);
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
      created: { enterprises: 0, organizations: 0, users: 0, credentials: 0, authorizations: 0 },
      credentials: [],
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
    await loadCredentials(tx, parsed, users, organizations, report, fail, progress, {
      generatedOnly: options.reportGeneratedOnly ?? false,
    });
    progress(parsed.userCount);
    return report;
  });
}
