// Audit events: how credential facts are written into them, and how the audit-log API reads them.
import type { AuditFilter } from "../domain/audit-phrase.ts";
import { AUDIT_ACTIONS } from "../domain/revocation.ts";
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
 * revoked credential's type `type`: the revoke itself, and whatever else its type records with it.
 */
export function revokeActions(type: string): string {
  return `cross join lateral (values ('${AUDIT_ACTIONS.authorizationRevoked}'::text),
                                     (${caseByCredentialType(type, (facts) => facts.alsoRecordedOnRevoke)})) act(action)`;
}

/** The action of destroying a credential of type `type`, or null when its type records none. */
export function destroyedAction(type: string): string {
  return caseByCredentialType(type, (facts) => facts.destroyedAction);
}

/** An authorization event's data: its credential `c` (a row of credentials) and the authorization's id. */
export function authorizationEventData(c: string, authorizationId: string): string {
  return `jsonb_strip_nulls(${credentialAuditData(c)} || jsonb_build_object('authorization_id', ${authorizationId}))`;
}

/**
 * The token fields GitHub's audit events carry, as a jsonb expression over credential alias `c`.
 * `hashed_token` is Base64 of SHA-256, as in GitHub's credential inventory and audit log.
 */
export function credentialAuditData(c: string): string {
  return `jsonb_build_object(
      'credential_id', ${c}.id, 'token_id', ${c}.id, 'credential_type', ${c}.type,
      'programmatic_access_type', ${caseByCredentialType(`${c}.type`, (facts) => facts.auditLabel)},
      'token_last_eight', ${c}.token_last_eight,
      'hashed_token', encode(${c}.token_hash, 'base64'),
      'token_scopes', case when ${c}.type in ${credentialTypesWhere((facts) => facts.limitedBy === "scopes")} then array_to_string(${c}.scopes, ',') end,
      'fingerprint', ${c}.fingerprint,
      'title', ${c}.title)`;
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
  for (const term of filter.terms) {
    let condition: string;
    switch (term.field) {
      case "action":
        condition = term.value.includes(".")
          ? `action = ${bind(term.value)}`
          : `(action = ${bind(term.value)} or action like ${bind(`${term.value}.%`)})`;
        break;
      case "actor":
        condition = `lower(actor_login) = lower(${bind(term.value)})`;
        break;
      case "user":
        condition = `lower(user_login) = lower(${bind(term.value)})`;
        break;
      case "org":
        condition = `lower(org_login) = lower(${bind(term.value)})`;
        break;
    }
    where.push(term.negated ? `not coalesce(${condition}, false)` : condition);
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
