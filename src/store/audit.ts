// Audit events: how credential facts are written into them, and how the audit-log API reads them.
import type { AuditFilter } from "../domain/audit-phrase.ts";
import { AUDIT_ACTIONS, verbsOfOperation } from "../domain/revocation.ts";
import { caseByCredentialType, credentialTypesWhere } from "./credential-type-sql.ts";
import type { Queryable } from "./db.ts";

/**
 * Every audit event credauth records is written by this one insert, as a data-modifying CTE inside
 * the statement that makes the change, so an event exists exactly when its change committed.
 * `rows` is a SELECT yielding one row per event with these columns, in this order (null where an
 * event has none): action, actor_id, actor_login, user_id, user_login, organization_id, org_login,
 * enterprise_id, business_slug, revocation_id, subject_id, data.
 */
export function insertAuditEvents(rows: string): string {
  return `insert into audit_events (action, actor_id, actor_login, user_id, user_login, organization_id, org_login,
                                 enterprise_id, business_slug, revocation_id, subject_id, data)
       ${rows}`;
}

/**
 * The actions one revoked authorization is recorded under, as a lateral `act(action)` over the
 * revoked credential's type `type`: `.revoke` and `.deauthorize` (GitHub lists both for its revoke
 * action), and whatever else its type records with them.
 */
export function revokeActions(type: string): string {
  return `cross join lateral (values ('${AUDIT_ACTIONS.authorizationRevoked}'::text),
                                     ('${AUDIT_ACTIONS.authorizationDeauthorized}'::text),
                                     (${caseByCredentialType(type, (facts) => facts.alsoRecordedOnRevoke)})) act(action)`;
}

/** The action of destroying a credential of type `type`, or null when its type records none. */
export function destroyedAction(type: string): string {
  return caseByCredentialType(type, (facts) => facts.destroyedAction);
}

const SCOPED_TYPES = credentialTypesWhere((facts) => facts.limitedBy === "scopes");
const INSTALLATION_TYPES = credentialTypesWhere((facts) => facts.accessKind === "app_installation");
const FINE_GRAINED_TYPES = credentialTypesWhere((facts) => facts.shape === "fine-grained");

/**
 * The fields of the token that made the request behind an event, over credential alias `c`:
 * GitHub's `token_id`, `hashed_token` (Base64 of SHA-256, as in its credential inventory),
 * `token_scopes`, `programmatic_access_type`, and `actor_is_bot` for an App installation. Empty
 * when `c` is all null (no token: the site admin, an anonymous request).
 */
export function requestTokenData(c: string): string {
  return `jsonb_strip_nulls(jsonb_build_object(
      'token_id', ${c}.id,
      'hashed_token', encode(${c}.token_hash, 'base64'),
      'token_scopes', case when ${c}.type in ${SCOPED_TYPES} then array_to_string(${c}.scopes, ',') end,
      'programmatic_access_type', ${caseByCredentialType(`${c}.type`, (facts) => facts.auditLabel)},
      'actor_is_bot', case when ${c}.type in ${INSTALLATION_TYPES} then true end))`;
}

/**
 * The fields of the credential an event is about, over credential alias `c`: its token under
 * `managed_*` (the request's own token has the plain names), an SSH key's `fingerprint` and `title`.
 */
export function managedCredentialData(c: string): string {
  return `jsonb_strip_nulls(jsonb_build_object(
      'managed_credential_id', ${c}.id,
      'managed_credential_type', ${caseByCredentialType(`${c}.type`, (facts) => facts.auditLabel)},
      'managed_token_last_eight', ${c}.token_last_eight,
      'managed_hashed_token', encode(${c}.token_hash, 'base64'),
      'managed_token_scopes', case when ${c}.type in ${SCOPED_TYPES} then array_to_string(${c}.scopes, ',') end,
      'fingerprint', ${c}.fingerprint,
      'title', ${c}.title))`;
}

/**
 * A revoked authorization's event data: the request's token fields (`requestToken`, a jsonb
 * expression), the credential `c` it authorized, the credential's owner `owner` (GitHub's field on
 * `.revoke`), the authorization's id, and for a fine-grained PAT's `access_revoked` its name.
 */
export function authorizationEventData(
  c: string,
  authorizationId: string,
  owner: string,
  requestToken: string,
): string {
  return `(${requestToken} || ${managedCredentialData(c)} || jsonb_strip_nulls(jsonb_build_object(
      'authorization_id', ${authorizationId}, 'owner', ${owner},
      'user_programmatic_access_name', case when ${c}.type in ${FINE_GRAINED_TYPES} then ${c}.note end)))`;
}

/** A destroyed credential's event data: the request's token fields, the credential `c`, a key's text. */
export function destroyedEventData(c: string, requestToken: string): string {
  return `(${requestToken} || ${managedCredentialData(c)} || jsonb_strip_nulls(jsonb_build_object(
      'key', ${c}.public_key, 'read_only', case when ${c}.public_key is not null then false end)))`;
}

/**
 * A grant's event data: the member authorized credential `c` themselves, so the token fields are
 * that credential's (as GitHub's grant events carry the token authorized), and the authorization.
 */
export function grantEventData(c: string, authorizationId: string): string {
  return `(${requestTokenData(c)} || jsonb_strip_nulls(jsonb_build_object(
      'token_last_eight', ${c}.token_last_eight, 'fingerprint', ${c}.fingerprint, 'title', ${c}.title,
      'authorization_id', ${authorizationId})))`;
}

export interface AuditEventRow {
  id: number;
  document_id: string;
  action: string;
  created_at: Date;
  actor_id: number | null;
  actor_login: string | null;
  user_id: number | null;
  user_login: string | null;
  organization_id: number | null;
  org_login: string | null;
  enterprise_id: number | null;
  business_slug: string | null;
  data: Record<string, unknown>;
}

export interface AuditPage {
  order: "asc" | "desc";
  limit: number;
  /** Continue after this event id, in `order`. */
  afterId?: number;
  /** The page that ends just before this event id, in `order`. */
  beforeId?: number;
  offset?: number;
}

/** One page of events of an enterprise or organization, filtered by a parsed phrase. */
export async function listAuditEvents(
  db: Queryable,
  owner: { enterpriseId: number } | { organizationId: number },
  filter: AuditFilter,
  page: AuditPage,
): Promise<AuditEventRow[]> {
  const values: unknown[] = [];
  const bind = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  const where: string[] = [];
  where.push(
    "enterpriseId" in owner
      ? `enterprise_id = ${bind(owner.enterpriseId)}`
      : `organization_id = ${bind(owner.organizationId)}`,
  );
  // One qualifier's values: any may match. Different qualifiers, and negations: all must hold.
  for (const group of filter.terms) {
    const conditions = group.map((term) => {
      switch (term.field) {
        case "action":
          return term.value.includes(".")
            ? `action = ${bind(term.value)}`
            : `(action = ${bind(term.value)} or action like ${bind(`${term.value}.%`)})`;
        case "actor":
          return `lower(actor_login) = lower(${bind(term.value)})`;
        case "user":
          return `lower(user_login) = lower(${bind(term.value)})`;
        case "org":
          return `lower(org_login) = lower(${bind(term.value)})`;
        case "business":
          return `lower(business_slug) = lower(${bind(term.value)})`;
        case "operation":
          return `split_part(action, '.', 2) = any(${bind(verbsOfOperation(term.value))}::text[])`;
        case "hashed_token":
          return `rtrim(data->>'hashed_token', '=') = ${bind(term.value)}`;
        case "actor_id":
          return `actor_id = ${bind(term.value)}`;
        case "user_id":
          return `user_id = ${bind(term.value)}`;
        case "org_id":
          return `organization_id = ${bind(term.value)}`;
        case "business_id":
          return `enterprise_id = ${bind(term.value)}`;
        case "token_id":
          return `data->>'token_id' = ${bind(String(term.value))}`;
        default:
          // repo:, repo_id:, country:, actor_ip: — fields these events never carry.
          return "false";
      }
    });
    const condition = `(${conditions.join(" or ")})`;
    where.push(group[0]!.negated ? `not coalesce(${condition}, false)` : condition);
  }
  for (const range of filter.created) {
    if (range.from) where.push(`created_at ${range.fromInclusive ? ">=" : ">"} ${bind(range.from)}`);
    if (range.to) where.push(`created_at ${range.toInclusive ? "<=" : "<"} ${bind(range.to)}`);
  }
  // A `before` page is read backwards from the cursor and turned around below.
  const backwards = page.beforeId !== undefined;
  const ascending = (page.order === "asc") !== backwards;
  if (page.afterId !== undefined) where.push(`id ${page.order === "asc" ? ">" : "<"} ${bind(page.afterId)}`);
  if (page.beforeId !== undefined) where.push(`id ${page.order === "asc" ? "<" : ">"} ${bind(page.beforeId)}`);
  const rows = await db.query<AuditEventRow>(
    `select id, document_id, action, created_at, actor_id, actor_login, user_id, user_login, organization_id, org_login,
            enterprise_id, business_slug, data
       from audit_events
      where ${where.join(" and ")}
      order by id ${ascending ? "asc" : "desc"}
      limit ${bind(page.limit)} offset ${bind(page.offset ?? 0)}`,
    values,
  );
  return backwards ? rows.reverse() : rows;
}
