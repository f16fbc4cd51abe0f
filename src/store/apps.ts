// GitHub Apps and their installations: who an App's JWT names, where it is installed, and the
// changes an App makes to its installations (tokens minted, suspended, uninstalled). Each change
// and its audit event are one statement, so both commit or neither does.
import { insertAuditEvents } from "./audit.ts";
import type { Queryable } from "./db.ts";

export interface AppRecord {
  id: number;
  slug: string;
  name: string;
  clientId: string;
  /** SHA-256 of the client secret, which the /applications routes compare with the one presented. */
  clientSecretHash: Uint8Array;
  publicKey: string;
  permissions: Record<string, string>;
  owner: { kind: "Enterprise" | "Organization"; id: number; login: string; name: string; createdAt: Date };
  botUser: { id: number; login: string };
  createdAt: Date;
  installationsCount: number;
}

interface AppRow {
  id: string;
  slug: string;
  name: string;
  client_id: string;
  client_secret_hash: Uint8Array;
  public_key: string;
  permissions: Record<string, string>;
  owner_kind: "Enterprise" | "Organization";
  owner_id: string;
  owner_login: string;
  owner_name: string;
  owner_created_at: Date;
  bot_user_id: string;
  bot_login: string;
  created_at: Date;
  installations_count: number;
}

/** An App with its owner and bot account, by id ($1) or client id ($2), whichever is given. */
const APP_BY_ISSUER = `select a.id, a.slug, a.name, a.client_id, a.client_secret_hash, a.public_key, a.permissions, a.created_at,
            case when e.id is not null then 'Enterprise' else 'Organization' end as owner_kind,
            coalesce(e.id, o.id) as owner_id, coalesce(e.slug, o.login) as owner_login,
            coalesce(e.name, o.login) as owner_name, coalesce(e.created_at, o.created_at) as owner_created_at,
            u.id as bot_user_id, u.login as bot_login,
            (select count(*)::int from app_installations i where i.app_id = a.id and i.uninstalled_at is null) as installations_count
       from apps a
       join users u on u.id = a.bot_user_id
       left join enterprises e on e.id = a.owner_enterprise_id
       left join organizations o on o.id = a.owner_organization_id
      where a.id = $1 or a.client_id = $2`;

/** The App a JWT's issuer names: its id, or its client id. Null when there is none. */
export async function findAppByIssuer(
  db: Queryable,
  issuer: { kind: "id"; id: number } | { kind: "client_id"; clientId: string },
): Promise<AppRecord | null> {
  const [row] = await db.query<AppRow>(APP_BY_ISSUER, [
    issuer.kind === "id" ? issuer.id : null,
    issuer.kind === "client_id" ? issuer.clientId : null,
  ]);
  if (!row) return null;
  return {
    id: Number(row.id),
    slug: row.slug,
    name: row.name,
    clientId: row.client_id,
    clientSecretHash: row.client_secret_hash,
    publicKey: row.public_key,
    permissions: row.permissions,
    owner: {
      kind: row.owner_kind,
      id: Number(row.owner_id),
      login: row.owner_login,
      name: row.owner_name,
      createdAt: row.owner_created_at,
    },
    botUser: { id: Number(row.bot_user_id), login: row.bot_login },
    createdAt: row.created_at,
    installationsCount: row.installations_count,
  };
}

export interface InstallationRecord {
  id: number;
  appId: number;
  account: { kind: "Enterprise" | "Organization"; id: number; login: string; name: string; createdAt: Date };
  permissions: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
  suspendedAt: Date | null;
  suspendedBy: { id: number; login: string } | null;
}

interface InstallationRow {
  id: string;
  app_id: string;
  account_kind: "Enterprise" | "Organization";
  account_id: string;
  account_login: string;
  account_name: string;
  account_created_at: Date;
  permissions: Record<string, string>;
  created_at: Date;
  updated_at: Date;
  suspended_at: Date | null;
  suspended_by_id: string | null;
  suspended_by_login: string | null;
}

const INSTALLATION_COLUMNS = `i.id, i.app_id, i.permissions, i.created_at, i.updated_at, i.suspended_at,
            case when e.id is not null then 'Enterprise' else 'Organization' end as account_kind,
            coalesce(e.id, o.id) as account_id, coalesce(e.slug, o.login) as account_login,
            coalesce(e.name, o.login) as account_name, coalesce(e.created_at, o.created_at) as account_created_at,
            s.id as suspended_by_id, s.login as suspended_by_login
       from app_installations i
       left join enterprises e on e.id = i.enterprise_id
       left join organizations o on o.id = i.organization_id
       left join users s on s.id = i.suspended_by_id`;

function installationOf(row: InstallationRow): InstallationRecord {
  return {
    id: Number(row.id),
    appId: Number(row.app_id),
    account: {
      kind: row.account_kind,
      id: Number(row.account_id),
      login: row.account_login,
      name: row.account_name,
      createdAt: row.account_created_at,
    },
    permissions: row.permissions,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    suspendedAt: row.suspended_at,
    suspendedBy:
      row.suspended_by_id === null ? null : { id: Number(row.suspended_by_id), login: row.suspended_by_login! },
  };
}

/** One page of an App's live installations, oldest first ($2 rows from $3). */
const APP_INSTALLATIONS = `select ${INSTALLATION_COLUMNS}
      where i.app_id = $1 and i.uninstalled_at is null
      order by i.id limit $2 offset $3`;

export async function listInstallations(
  db: Queryable,
  appId: number,
  page: { limit: number; offset: number },
): Promise<InstallationRecord[]> {
  const rows = await db.query<InstallationRow>(APP_INSTALLATIONS, [appId, page.limit, page.offset]);
  return rows.map(installationOf);
}

/** One of the App's live installations, by id. */
const APP_INSTALLATION = `select ${INSTALLATION_COLUMNS}
      where i.app_id = $1 and i.id = $2 and i.uninstalled_at is null`;

export async function findInstallation(
  db: Queryable,
  appId: number,
  installationId: number,
): Promise<InstallationRecord | null> {
  const [row] = await db.query<InstallationRow>(APP_INSTALLATION, [appId, installationId]);
  return row ? installationOf(row) : null;
}

/** The App's live installation on an enterprise (by slug) or an organization (by login). */
const APP_INSTALLATION_ON = `select ${INSTALLATION_COLUMNS}
      where i.app_id = $1 and i.uninstalled_at is null
        and case when $2 = 'Enterprise' then lower(e.slug) = lower($3) else lower(o.login) = lower($3) end`;

export async function findInstallationOn(
  db: Queryable,
  appId: number,
  account: { kind: "Enterprise" | "Organization"; login: string },
): Promise<InstallationRecord | null> {
  const [row] = await db.query<InstallationRow>(APP_INSTALLATION_ON, [appId, account.kind, account.login]);
  return row ? installationOf(row) : null;
}

/**
 * A new installation token: a credential of the App's bot account, on the installation's account,
 * with these permissions, expiring at $6. Refused (no row) once the installation is suspended or
 * uninstalled, checked in the same statement as the insert.
 */
const MINT_INSTALLATION_TOKEN = `insert into credentials (user_id, type, token_hash, token_last_eight, permissions, resource_owner,
                               installation_id, expires_at, note)
     select a.bot_user_id, 'github_app_installation_token', $2, $3, $4::jsonb, coalesce(e.slug, o.login), i.id, $5,
            'installation token of ' || a.slug
       from app_installations i
       join apps a on a.id = i.app_id
       left join enterprises e on e.id = i.enterprise_id
       left join organizations o on o.id = i.organization_id
      where i.id = $1 and i.uninstalled_at is null and i.suspended_at is null
     returning id`;

export async function mintInstallationToken(
  db: Queryable,
  token: {
    installationId: number;
    tokenHash: Uint8Array;
    lastEight: string;
    permissions: Record<string, string>;
    expiresAt: Date;
  },
): Promise<boolean> {
  const rows = await db.query(MINT_INSTALLATION_TOKEN, [
    token.installationId,
    token.tokenHash,
    token.lastEight,
    JSON.stringify(token.permissions),
    token.expiresAt,
  ]);
  return rows.length === 1;
}

/**
 * Audit events of installations (created, suspended, unsuspended, uninstalled), acted by the App's
 * bot account, on the enterprise or organization each is installed on: one per row of the CTE
 * `rows` (its id, app_id, enterprise_id, organization_id), with action `action` (SQL).
 */
export function installationEvents(action: string, rows: string): string {
  return insertAuditEvents(`select ${action}, u.id, u.login, null, null, o.id, o.login,
              coalesce(e.id, oe.id), coalesce(e.slug, oe.slug), null, i.id,
              jsonb_build_object('integration', a.slug, 'installation_id', i.id, 'actor_is_bot', true)
         from ${rows} i
         join apps a on a.id = i.app_id
         join users u on u.id = a.bot_user_id
         left join enterprises e on e.id = i.enterprise_id
         left join organizations o on o.id = i.organization_id
         left join enterprises oe on oe.id = o.enterprise_id`);
}

/** `$2`'s event for each installation the statement's `changed` CTE returns. */
const INSTALLATION_EVENT = installationEvents("$2", "changed");

/** Live tokens of the installation in `changed`, destroyed now. */
const DESTROY_INSTALLATION_TOKENS = `update credentials c set destroyed_at = credauth_now()
         from changed ch where c.installation_id = ch.id and c.destroyed_at is null
       returning c.id`;

/**
 * Suspends ($3 the suspending user's id) or unsuspends ($3 null) one of App $4's live installations
 * ($1), audited as action $2; suspending destroys its live tokens. False when there is no such
 * installation, or it already stands so.
 */
const SET_SUSPENDED = `with changed as (
       update app_installations set suspended_at = case when $3::bigint is null then null else credauth_now() end,
                                   suspended_by_id = $3::bigint, updated_at = credauth_now()
        where id = $1 and app_id = $4 and uninstalled_at is null and (suspended_at is null) = ($3::bigint is not null)
       returning id, app_id, enterprise_id, organization_id),
     destroyed as (${DESTROY_INSTALLATION_TOKENS}),
     events as (${INSTALLATION_EVENT})
     select count(*)::int as changed from changed`;

export async function setInstallationSuspended(
  db: Queryable,
  appId: number,
  installationId: number,
  suspendedBy: number | null,
): Promise<boolean> {
  const action = suspendedBy === null ? "integration_installation.unsuspend" : "integration_installation.suspend";
  const [row] = await db.query<{ changed: number }>(SET_SUSPENDED, [installationId, action, suspendedBy, appId]);
  return (row?.changed ?? 0) > 0;
}

/** Uninstalls one of App $3's live installations ($1), audited as $2, and destroys its live tokens. */
const UNINSTALL = `with changed as (
       update app_installations set uninstalled_at = credauth_now(), updated_at = credauth_now()
        where id = $1 and app_id = $3 and uninstalled_at is null
       returning id, app_id, enterprise_id, organization_id),
     destroyed as (${DESTROY_INSTALLATION_TOKENS}),
     events as (${INSTALLATION_EVENT})
     select count(*)::int as changed from changed`;

export async function uninstallInstallation(db: Queryable, appId: number, installationId: number): Promise<boolean> {
  const [row] = await db.query<{ changed: number }>(UNINSTALL, [
    installationId,
    "integration_installation.destroy",
    appId,
  ]);
  return (row?.changed ?? 0) > 0;
}

/** An installation token revoking itself (DELETE /installation/token): destroyed now. */
const DESTROY_OWN_TOKEN = `update credentials set destroyed_at = credauth_now()
      where id = $1 and type = 'github_app_installation_token' and destroyed_at is null
     returning id`;

export async function destroyInstallationToken(db: Queryable, credentialId: number): Promise<boolean> {
  return (await db.query(DESTROY_OWN_TOKEN, [credentialId])).length === 1;
}
