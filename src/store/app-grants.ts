// A user's grant to an App, as the App's owner manages it with its client id and secret: the
// user's tokens of that App (gho_, ghu_) checked, reset and deleted, and the whole grant deleted.
// Each change and its audit events are one statement.
import { AUDIT_ACTIONS } from "../domain/revocation.ts";
import { destroyedEventData, grantEventData, insertAuditEvents, requestTokenData } from "./audit.ts";
import type { Queryable } from "./db.ts";

export interface AppTokenRecord {
  id: number;
  type: string;
  scopes: string[];
  permissions: Record<string, string>;
  /** A scoped token's organization; null for a token not scoped. */
  resourceOwner: string | null;
  note: string | null;
  tokenHash: Uint8Array;
  lastEight: string;
  createdAt: Date;
  expiresAt: Date | null;
  user: { id: number; login: string };
}

interface AppTokenRow {
  id: string;
  type: string;
  scopes: string[];
  permissions: Record<string, string>;
  resource_owner: string | null;
  note: string | null;
  token_hash: Uint8Array;
  token_last_eight: string;
  created_at: Date;
  expires_at: Date | null;
  user_id: string;
  login: string;
}

const appTokenOf = (row: AppTokenRow): AppTokenRecord => ({
  id: Number(row.id),
  type: row.type,
  scopes: row.scopes,
  permissions: row.permissions,
  resourceOwner: row.resource_owner,
  note: row.note,
  tokenHash: row.token_hash,
  lastEight: row.token_last_eight,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  user: { id: Number(row.user_id), login: row.login },
});

/** A live, unexpired token of App ($1, by client id) with this hash ($2), and its user. */
const APP_TOKEN = `select c.id, c.type, c.scopes, c.permissions, c.resource_owner, c.note, c.token_hash, c.token_last_eight, c.created_at, c.expires_at,
            u.id as user_id, u.login
       from credentials c
       join apps a on a.id = c.app_id
       join users u on u.id = c.user_id
      where a.client_id = $1 and c.token_hash = $2 and c.destroyed_at is null
        and (c.expires_at is null or c.expires_at > credauth_now())`;

export async function findAppToken(
  db: Queryable,
  clientId: string,
  tokenHash: Uint8Array,
): Promise<AppTokenRecord | null> {
  const [row] = await db.query<AppTokenRow>(APP_TOKEN, [clientId, tokenHash]);
  return row ? appTokenOf(row) : null;
}

/**
 * Destroys App $1's live tokens (by client id) that match: the one with hash $2, or with $3 true
 * every token of that token's user (the whole grant). Each destroyed token is audited as
 * `oauth_access.destroy`; a grant deleted is audited once more as `oauth_authorization.destroy`.
 * Returns how many were destroyed.
 */
const DESTROY_APP_TOKENS = `with target as (
       select c.id, c.user_id, c.app_id from credentials c join apps a on a.id = c.app_id
        where a.client_id = $1 and c.token_hash = $2 and c.destroyed_at is null),
     destroyed as (
       update credentials c set destroyed_at = credauth_now()
         from target t
        where c.destroyed_at is null and c.app_id = t.app_id
          and (c.id = t.id or ($3::boolean and c.user_id = t.user_id))
       returning c.id, c.user_id, c as credential),
     events as (
       ${insertAuditEvents(`select 'oauth_access.destroy', null::bigint, null::text, u.id, u.login, null::bigint, null::text, e.id, e.slug, null::bigint, d.id,
              ${destroyedEventData("(d.credential)", "'{}'::jsonb")} || jsonb_build_object('oauth_application', a.slug)
         from destroyed d
         join users u on u.id = d.user_id
         join target t on true
         join apps a on a.id = t.app_id
         left join enterprises e on e.id = u.managed_by_enterprise_id
        union all
       select 'oauth_authorization.destroy', null::bigint, null::text, u.id, u.login, null::bigint, null::text, e.id, e.slug, null::bigint, t.id,
              jsonb_build_object('oauth_application', a.slug)
         from target t
         join users u on u.id = t.user_id
         join apps a on a.id = t.app_id
         left join enterprises e on e.id = u.managed_by_enterprise_id
        where $3::boolean`)})
     select count(*)::int as destroyed from destroyed`;

export async function destroyAppTokens(
  db: Queryable,
  clientId: string,
  tokenHash: Uint8Array,
  wholeGrant: boolean,
): Promise<number> {
  const [row] = await db.query<{ destroyed: number }>(DESTROY_APP_TOKENS, [clientId, tokenHash, wholeGrant]);
  return row?.destroyed ?? 0;
}

/**
 * A token reset: the old one ($1, by id) destroyed and a new one with the same user, type, App,
 * scopes, permissions, note and expiry made with hash $2 and last eight $3, audited as
 * `oauth_access.regenerate` on the new one. Null when the old one was destroyed meanwhile.
 */
const RESET_APP_TOKEN = `with old as (
       update credentials set destroyed_at = credauth_now()
        where id = $1 and destroyed_at is null
       returning *),
     made as (
       insert into credentials as c (user_id, type, token_hash, token_last_eight, note, scopes, permissions, app_id, expires_at)
       select user_id, type, $2, $3, note, scopes, permissions, app_id, expires_at from old
       returning c.id, c.user_id, c.app_id, c.created_at, c as credential),
     events as (
       ${insertAuditEvents(`select 'oauth_access.regenerate', null, null, u.id, u.login, null, null, e.id, e.slug, null, m.id,
              ${requestTokenData("(m.credential)")} || jsonb_build_object('oauth_application', a.slug)
         from made m
         join users u on u.id = m.user_id
         join apps a on a.id = m.app_id
         left join enterprises e on e.id = u.managed_by_enterprise_id`)})
     select id, created_at from made`;

export async function resetAppToken(
  db: Queryable,
  oldId: number,
  token: { hash: Uint8Array; lastEight: string },
): Promise<{ id: number; createdAt: Date } | null> {
  const [row] = await db.query<{ id: string; created_at: Date }>(RESET_APP_TOKEN, [oldId, token.hash, token.lastEight]);
  return row ? { id: Number(row.id), createdAt: row.created_at } : null;
}

/** Where App $1 is installed on an organization named by login ($2) or id ($3), live and not suspended. */
const SCOPE_TARGET = `select i.id, i.permissions, o.id as organization_id, o.login
       from app_installations i join organizations o on o.id = i.organization_id
      where i.app_id = $1 and i.uninstalled_at is null and i.suspended_at is null
        and (lower(o.login) = lower($2) or o.id = $3)
      limit 1`;

export async function findScopeTarget(
  db: Queryable,
  appId: number,
  target: { login: string | null; id: number | null },
): Promise<{ installationId: number; organization: { id: number; login: string } } | null> {
  const [row] = await db.query<{ id: string; organization_id: string; login: string }>(SCOPE_TARGET, [
    appId,
    target.login,
    target.id,
  ]);
  if (!row) return null;
  return { installationId: Number(row.id), organization: { id: Number(row.organization_id), login: row.login } };
}

/**
 * A scoped token made from user token $1: the same user, type, App, note and expiry, limited to
 * organization $2 and permissions $3, with hash $4 and last eight $5, audited as
 * `oauth_access.create`. It carries the source's live SSO authorization for that organization (a
 * user token is authorized by the user's SAML session, which the source shows), audited as a
 * grant. The token it was made from stays as it is. Null when that one died meanwhile.
 */
const SCOPE_APP_TOKEN = `with source as (
       select * from credentials where id = $1 and destroyed_at is null),
     made as (
       insert into credentials as c (user_id, type, token_hash, token_last_eight, note, permissions, app_id, expires_at,
                                     resource_owner)
       select user_id, type, $4, $5, note, $3::jsonb, app_id, expires_at, $2 from source
       returning c.id, c.user_id, c.app_id, c.created_at, c as credential),
     granted as (
       insert into credential_authorizations (credential_id, organization_id)
       select m.id, a.organization_id
         from made m
         join credential_authorizations a on a.credential_id = $1 and a.revoked_at is null
         join organizations o on o.id = a.organization_id and lower(o.login) = lower($2)
       returning id, credential_id, organization_id),
     events as (
       ${insertAuditEvents(`select 'oauth_access.create', null::bigint, null::text, u.id, u.login, null::bigint, null::text,
              e.id, e.slug, null::bigint, m.id,
              ${requestTokenData("(m.credential)")} || jsonb_build_object('oauth_application', a.slug, 'scoped_to', $2::text)
         from made m
         join users u on u.id = m.user_id
         join apps a on a.id = m.app_id
         left join enterprises e on e.id = u.managed_by_enterprise_id
        union all
       select '${AUDIT_ACTIONS.authorizationGranted}', u.id, u.login, u.id, u.login, o.id, o.login, oe.id, oe.slug, null, g.id,
              ${grantEventData("(m.credential)", "g.id")}
         from granted g
         join made m on m.id = g.credential_id
         join users u on u.id = m.user_id
         join organizations o on o.id = g.organization_id
         join enterprises oe on oe.id = o.enterprise_id`)})
     select id, created_at from made`;

export async function scopeAppToken(
  db: Queryable,
  sourceId: number,
  scope: { organization: string; permissions: Record<string, string> },
  token: { hash: Uint8Array; lastEight: string },
): Promise<{ id: number; createdAt: Date } | null> {
  const [row] = await db.query<{ id: string; created_at: Date }>(SCOPE_APP_TOKEN, [
    sourceId,
    scope.organization,
    JSON.stringify(scope.permissions),
    token.hash,
    token.lastEight,
  ]);
  return row ? { id: Number(row.id), createdAt: row.created_at } : null;
}
