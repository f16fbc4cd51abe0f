// Authorization as explicit rules, checked by handlers before any data is read or written.
// Each rule answers with a Decision; the HTTP layer turns a denial into GitHub's response.
import { factsOf } from "./credential-types.ts";
import type { EnterpriseRelation, OrganizationRelation, Principal } from "./model.ts";

export type Denial =
  /** The caller must not learn that the resource exists: answer 404. */
  | { kind: "hidden" }
  /** A classic PAT / OAuth token without the scope the action checks. */
  | { kind: "missing_scope"; acceptedScope: string }
  /** A fine-grained PAT or GitHub App user token without the permission the action checks. */
  | { kind: "missing_permission"; acceptedPermissions: string; tokenKind: "personal_access_token" | "integration" }
  /** The caller can see the resource but their role does not allow the action. */
  | { kind: "missing_role"; role: "enterprise_credentials_manager" | "enterprise_owner" | "organization_owner" };

export type Decision = { allowed: true } | { allowed: false; denial: Denial };

const ALLOW: Decision = { allowed: true };
const deny = (denial: Denial): Decision => ({ allowed: false, denial });

/** What a token must carry for an action, per token kind (GitHub's docs for the endpoint). */
export interface TokenRequirement {
  /** Checked for classic PATs and OAuth app tokens; any one of them suffices. */
  oauthScopes: readonly string[];
  /** Checked for fine-grained PATs and GitHub App user tokens: permission name and minimum level. */
  permission: { name: string; level: "read" | "write" };
}

const PERMISSION_RANK = { read: 1, write: 2, admin: 3 } as const;

/** The scopes a scope implies (GitHub: `admin:enterprise` includes `manage_runners:enterprise`, ...). */
const IMPLIED_SCOPES: Record<string, readonly string[]> = {
  "admin:enterprise": ["manage_runners:enterprise", "manage_billing:enterprise", "read:enterprise"],
  "admin:org": ["write:org", "read:org"],
  "write:org": ["read:org"],
};

export function expandScopes(scopes: readonly string[]): Set<string> {
  const expanded = new Set<string>();
  const pending = [...scopes];
  while (pending.length > 0) {
    const scope = pending.pop()!;
    if (expanded.has(scope)) continue;
    expanded.add(scope);
    pending.push(...(IMPLIED_SCOPES[scope] ?? []));
  }
  return expanded;
}

/**
 * Does the token itself allow the action, whatever the user's role? `resourceOwner` is the
 * enterprise slug or organization login the action touches: a fine-grained token only reaches
 * the resource owner it was created for.
 */
export function tokenAllows(principal: Principal, requirement: TokenRequirement, resourceOwner: string): Decision {
  const credential = principal.credential;
  const facts = factsOf(credential.type);
  if (facts.limitedBy === "scopes") {
    const granted = expandScopes(credential.scopes);
    if (requirement.oauthScopes.some((scope) => granted.has(scope))) return ALLOW;
    return deny({ kind: "missing_scope", acceptedScope: requirement.oauthScopes.join(", ") });
  }
  const { name, level } = requirement.permission;
  const held = credential.permissions[name];
  const ownerMatches =
    facts.reaches === "any-resource-owner" ||
    (credential.resourceOwner !== null && credential.resourceOwner.toLowerCase() === resourceOwner.toLowerCase());
  const rank = held === undefined ? 0 : (PERMISSION_RANK[held as keyof typeof PERMISSION_RANK] ?? 0);
  if (ownerMatches && rank >= PERMISSION_RANK[level]) return ALLOW;
  return deny({
    kind: "missing_permission",
    acceptedPermissions: `${name}=${level}`,
    tokenKind: facts.deniedAs ?? "integration",
  });
}

export const ENTERPRISE_CREDENTIALS_WRITE: TokenRequirement = {
  oauthScopes: ["admin:enterprise"],
  permission: { name: "enterprise_credentials", level: "write" },
};

/**
 * Revoking credential authorizations in an enterprise (and reading the resulting job): enterprise
 * owners and holders of write_enterprise_credentials. Outsiders do not learn the enterprise exists.
 */
export function mayManageEnterpriseCredentials(
  principal: Principal,
  enterpriseSlug: string,
  relation: EnterpriseRelation | null,
): Decision {
  if (relation === null || !relation.isRelated) return deny({ kind: "hidden" });
  const token = tokenAllows(principal, ENTERPRISE_CREDENTIALS_WRITE, enterpriseSlug);
  if (!token.allowed) return token;
  if (!relation.isOwner && !relation.isCredentialManager)
    return deny({ kind: "missing_role", role: "enterprise_credentials_manager" });
  return ALLOW;
}

/** Reading a revocation job: the same people, but a non-manager is not told the job exists. */
export function mayReadEnterpriseRevocation(
  principal: Principal,
  enterpriseSlug: string,
  relation: EnterpriseRelation | null,
): Decision {
  const decision = mayManageEnterpriseCredentials(principal, enterpriseSlug, relation);
  if (!decision.allowed && decision.denial.kind === "missing_role") return deny({ kind: "hidden" });
  return decision;
}

export const ENTERPRISE_AUDIT_LOG_READ: TokenRequirement = {
  oauthScopes: ["read:audit_log"],
  permission: { name: "enterprise_administration", level: "read" },
};

/** The enterprise audit log: enterprise owners only. */
export function mayReadEnterpriseAuditLog(
  principal: Principal,
  enterpriseSlug: string,
  relation: EnterpriseRelation | null,
): Decision {
  if (relation === null || !relation.isRelated) return deny({ kind: "hidden" });
  const token = tokenAllows(principal, ENTERPRISE_AUDIT_LOG_READ, enterpriseSlug);
  if (!token.allowed) return token;
  if (!relation.isOwner) return deny({ kind: "missing_role", role: "enterprise_owner" });
  return ALLOW;
}

/** Organization credential authorizations: `admin:org` to change them, `read:org` to list them. */
export const ORGANIZATION_CREDENTIALS_WRITE: TokenRequirement = {
  oauthScopes: ["admin:org"],
  permission: { name: "organization_administration", level: "write" },
};
export const ORGANIZATION_CREDENTIALS_READ: TokenRequirement = {
  oauthScopes: ["read:org"],
  permission: { name: "organization_administration", level: "read" },
};
export const ORGANIZATION_AUDIT_LOG_READ: TokenRequirement = {
  oauthScopes: ["read:audit_log"],
  permission: { name: "organization_administration", level: "read" },
};

/**
 * What an organization owner may do there (list or revoke credential authorizations, read the
 * audit log). People outside the organization do not learn it exists.
 */
export function mayActAsOrganizationOwner(
  principal: Principal,
  organizationLogin: string,
  relation: OrganizationRelation | null,
  requirement: TokenRequirement,
): Decision {
  if (relation === null || !relation.isParticipant) return deny({ kind: "hidden" });
  const token = tokenAllows(principal, requirement, organizationLogin);
  if (!token.allowed) return token;
  if (!relation.isOwner) return deny({ kind: "missing_role", role: "organization_owner" });
  return ALLOW;
}

/**
 * Reading a revocation job: the enterprise's owners and credential managers, and for a job an
 * organization owner requested in their organization, that organization's owners too.
 */
export function mayReadRevocation(
  principal: Principal,
  job: { enterpriseSlug: string; organizationLogin: string | null },
  enterpriseRelation: EnterpriseRelation | null,
  organizationRelation: OrganizationRelation | null,
): Decision {
  if (job.organizationLogin !== null && organizationRelation?.isOwner) {
    const asOwner = tokenAllows(principal, ORGANIZATION_CREDENTIALS_READ, job.organizationLogin);
    if (asOwner.allowed) return asOwner;
  }
  return mayReadEnterpriseRevocation(principal, job.enterpriseSlug, enterpriseRelation);
}
