// Authorization as explicit rules, checked by handlers before any data is read or written.
// Each rule answers with a Decision; the HTTP layer turns a denial into GitHub's response.
import { factsOf } from "./credential-types.ts";
import type { EnterpriseRelation, OrganizationRelation, Principal } from "./model.ts";
import { acceptedGitHubPermissions, accessOf, type OperationAccess } from "./operations.ts";

export type Denial =
  /** The caller must not learn that the resource exists: answer 404. */
  | { kind: "hidden" }
  /** A classic PAT / OAuth token without the scope the action checks. */
  | { kind: "missing_scope"; acceptedScope: string }
  /** A fine-grained PAT or GitHub App user token without the permission the action checks. */
  | { kind: "missing_permission"; acceptedPermissions: string; tokenKind: "personal_access_token" | "integration" }
  /** The operation takes no token at all (POST /credentials/revoke): a token is refused with 403. */
  | { kind: "unauthenticated_only" }
  /** The operation takes only a GitHub App's JWT (the /app endpoints): a token is refused with 401. */
  | { kind: "app_jwt_required" }
  /** The caller can see the resource but their role does not allow the action. */
  | { kind: "missing_role"; role: "enterprise_credentials_manager" | "enterprise_owner" | "organization_owner" };

export type Decision = { allowed: true } | { allowed: false; denial: Denial };

const ALLOW: Decision = { allowed: true };
const deny = (denial: Denial): Decision => ({ allowed: false, denial });

const PERMISSION_RANK = { read: 1, write: 2, admin: 3 } as const;

/** The scopes a scope implies (GitHub: `admin:enterprise` includes `manage_runners:enterprise`, ...). */
const IMPLIED_SCOPES: Record<string, readonly string[]> = {
  "admin:enterprise": ["manage_runners:enterprise", "manage_billing:enterprise", "read:enterprise"],
  "admin:org": ["write:org", "read:org"],
  "write:org": ["read:org"],
  "admin:public_key": ["write:public_key", "read:public_key"],
  "write:public_key": ["read:public_key"],
  user: ["read:user", "user:email", "user:follow"],
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
 * Does the token itself allow the operation, whatever the user's role? The operation must list
 * the token's kind; then a classic or OAuth token needs one of its scopes, a fine-grained or App
 * token one of its permissions. `resourceOwner` is the enterprise slug or organization login the
 * operation touches: a fine-grained PAT or an App installation only reaches the one it was made for.
 */
export function tokenAllows(principal: Principal, access: OperationAccess, resourceOwner: string): Decision {
  const kind = acceptsTokenKind(principal, access);
  if (!kind.allowed) return kind;
  const credential = principal.credential;
  const facts = factsOf(credential.type);
  if (facts.limitedBy === "scopes") {
    if (access.oauthScopes.length === 0) return ALLOW;
    const granted = expandScopes(credential.scopes);
    if (access.oauthScopes.some((scope) => granted.has(scope))) return ALLOW;
    return deny({ kind: "missing_scope", acceptedScope: access.oauthScopes.join(", ") });
  }
  if (access.permissions.length === 0) return ALLOW;
  // A token that reaches any resource owner is limited to one once scoped to it (an App user token
  // scoped through POST /applications/{client_id}/token/scoped).
  const ownerMatches =
    (facts.reaches === "any-resource-owner" && credential.resourceOwner === null) ||
    (credential.resourceOwner !== null && credential.resourceOwner.toLowerCase() === resourceOwner.toLowerCase());
  const held = (name: string) => PERMISSION_RANK[credential.permissions[name] as keyof typeof PERMISSION_RANK] ?? 0;
  if (ownerMatches && access.permissions.some(({ name, level }) => held(name) >= PERMISSION_RANK[level])) return ALLOW;
  return notAccessible(principal, access);
}

function notAccessible(principal: Principal, access: OperationAccess): Decision {
  return deny({
    kind: "missing_permission",
    acceptedPermissions: acceptedGitHubPermissions(access),
    tokenKind: factsOf(principal.credential.type).deniedAs ?? "personal_access_token",
  });
}

/**
 * Does the operation take this kind of token at all? GitHub's documentation data lists, per
 * operation, whether fine-grained PATs, App user tokens and App installation tokens may call it;
 * any other kind is refused as not accessible, whatever it carries.
 */
export function acceptsTokenKind(principal: Principal, access: OperationAccess): Decision {
  const kind = factsOf(principal.credential.type).accessKind;
  if (kind !== null && access.tokenKinds.includes(kind)) return ALLOW;
  if (access.tokenKinds.length === 0) return deny({ kind: "unauthenticated_only" });
  if (access.tokenKinds.length === 1 && access.tokenKinds[0] === "app") return deny({ kind: "app_jwt_required" });
  return notAccessible(principal, access);
}

/**
 * A GitHub App installation token acts on the one account the App is installed on, by the
 * installation's permissions and with no role; anywhere else it sees nothing. Null for tokens
 * that act for a user, whose role decides instead.
 */
function asInstallation(
  principal: Principal,
  access: OperationAccess,
  account: string,
  accountExists: boolean,
): Decision | null {
  if (factsOf(principal.credential.type).accessKind !== "app_installation") return null;
  const installedOn = principal.credential.resourceOwner;
  if (!accountExists || installedOn === null || installedOn.toLowerCase() !== account.toLowerCase())
    return deny({ kind: "hidden" });
  return tokenAllows(principal, access, account);
}

/**
 * Revoking credential authorizations in an enterprise: enterprise owners and holders of
 * write_enterprise_credentials, or an App installed on the enterprise. Outsiders do not learn the
 * enterprise exists.
 */
export function mayManageEnterpriseCredentials(
  principal: Principal,
  access: OperationAccess,
  enterpriseSlug: string,
  relation: EnterpriseRelation | null,
): Decision {
  const installation = asInstallation(principal, access, enterpriseSlug, relation !== null);
  if (installation) return installation;
  if (relation === null || !relation.isRelated) return deny({ kind: "hidden" });
  const token = tokenAllows(principal, access, enterpriseSlug);
  if (!token.allowed) return token;
  if (!relation.isOwner && !relation.isCredentialManager)
    return deny({ kind: "missing_role", role: "enterprise_credentials_manager" });
  return ALLOW;
}

/** The enterprise audit log: enterprise owners, or an App installed on the enterprise. */
export function mayReadEnterpriseAuditLog(
  principal: Principal,
  access: OperationAccess,
  enterpriseSlug: string,
  relation: EnterpriseRelation | null,
): Decision {
  const installation = asInstallation(principal, access, enterpriseSlug, relation !== null);
  if (installation) return installation;
  if (relation === null || !relation.isRelated) return deny({ kind: "hidden" });
  const token = tokenAllows(principal, access, enterpriseSlug);
  if (!token.allowed) return token;
  if (!relation.isOwner) return deny({ kind: "missing_role", role: "enterprise_owner" });
  return ALLOW;
}

/**
 * What an organization owner may do there (list or revoke credential authorizations, read the
 * audit log), or an App installed on the organization. People outside the organization do not
 * learn it exists.
 */
export function mayActAsOrganizationOwner(
  principal: Principal,
  access: OperationAccess,
  organizationLogin: string,
  relation: OrganizationRelation | null,
): Decision {
  const installation = asInstallation(principal, access, organizationLogin, relation !== null);
  if (installation) return installation;
  if (relation === null || !relation.isParticipant) return deny({ kind: "hidden" });
  const token = tokenAllows(principal, access, organizationLogin);
  if (!token.allowed) return token;
  if (!relation.isOwner) return deny({ kind: "missing_role", role: "organization_owner" });
  return ALLOW;
}

/**
 * Seeing an organization's concealed members (credauth has no public memberships, so: any member):
 * its members — not outside collaborators — whose token allows it, or an App installed on it.
 * Anyone else sees the public members only; nobody is refused.
 */
export function maySeeConcealedMembers(
  principal: Principal | null,
  access: OperationAccess,
  organizationLogin: string,
  relation: OrganizationRelation,
): Decision {
  if (principal === null) return deny({ kind: "hidden" });
  const installation = asInstallation(principal, access, organizationLogin, true);
  if (installation) return installation;
  if (!relation.isMember) return deny({ kind: "hidden" });
  return tokenAllows(principal, access, organizationLogin);
}

/**
 * Of the enterprises a caller owns or manages credentials in and the organizations they own (or
 * the account their App is installed on), those whose revocations they may see: the rules of
 * mayReadRevocation, applied to a list.
 */
export function visibleRevocationScopes(
  principal: Principal,
  candidates: { enterprises: { id: number; slug: string }[]; organizations: { id: number; login: string }[] },
): { enterpriseIds: number[]; organizationIds: number[] } {
  const manager: EnterpriseRelation = { isOwner: true, isCredentialManager: true, isRelated: true };
  const owner: OrganizationRelation = { isOwner: true, isMember: true, isParticipant: true };
  const enterpriseAccess = accessOf("enterprise-admin/revoke-all-credential-authorizations");
  const organizationAccess = accessOf("orgs/list-saml-sso-authorizations");
  return {
    enterpriseIds: candidates.enterprises
      .filter((e) => mayManageEnterpriseCredentials(principal, enterpriseAccess, e.slug, manager).allowed)
      .map((e) => e.id),
    organizationIds: candidates.organizations
      .filter((o) => mayActAsOrganizationOwner(principal, organizationAccess, o.login, owner).allowed)
      .map((o) => o.id),
  };
}

/** The members list's two-factor filters: the organization's owners, or an App installed on it. */
export function mayFilterMembersByTwoFactor(
  principal: Principal | null,
  access: OperationAccess,
  organizationLogin: string,
  relation: OrganizationRelation,
): boolean {
  if (!maySeeConcealedMembers(principal, access, organizationLogin, relation).allowed) return false;
  return relation.isOwner || factsOf(principal!.credential.type).accessKind === "app_installation";
}

/**
 * Reading a revocation job: whoever could have requested it — the enterprise's owners and
 * credential managers (or its App installation), and for a job requested in one organization,
 * that organization's owners (or its App installation) too. Nobody else learns the job exists.
 */
export function mayReadRevocation(
  principal: Principal,
  job: { enterpriseSlug: string; organizationLogin: string | null },
  enterpriseRelation: EnterpriseRelation | null,
  organizationRelation: OrganizationRelation | null,
): Decision {
  if (job.organizationLogin !== null) {
    const asOwner = mayActAsOrganizationOwner(
      principal,
      accessOf("orgs/list-saml-sso-authorizations"),
      job.organizationLogin,
      organizationRelation,
    );
    if (asOwner.allowed) return asOwner;
  }
  // Someone who could not have requested the job is not told it exists, whatever their token.
  const installation = factsOf(principal.credential.type).accessKind === "app_installation";
  if (!installation && !enterpriseRelation?.isOwner && !enterpriseRelation?.isCredentialManager)
    return deny({ kind: "hidden" });
  return mayManageEnterpriseCredentials(
    principal,
    accessOf("enterprise-admin/revoke-all-credential-authorizations"),
    job.enterpriseSlug,
    enterpriseRelation,
  );
}
