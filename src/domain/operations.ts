// Who may call each operation credauth serves, token kind by token kind, as GitHub publishes it:
// classic PATs and OAuth tokens by scope, fine-grained PATs and GitHub App tokens by permission,
// and only the token kinds GitHub's documentation data lists for the operation (its
// `fine-grained-pat`, `user-to-server-rest` and `server-to-server-permissions` files for GHEC,
// API version 2026-03-10). docs/decisions.md records the source of each rule.
import type { AccessKind } from "./credential-types.ts";

export interface Permission {
  name: string;
  level: "read" | "write";
}

/**
 * Who may call: a token of one of GitHub's token models, or `app` — a GitHub App itself, signed in
 * with its JWT (the /app endpoints, and only they, take one).
 */
export type CallerKind = AccessKind | "app";

export interface OperationAccess {
  /** Classic PATs and OAuth tokens: any one of these scopes (or one that implies it). Empty: none needed. */
  oauthScopes: readonly string[];
  /** Fine-grained PATs and GitHub App tokens: any one of these permissions. Empty: none needed. */
  permissions: readonly Permission[];
  /** The token models GitHub lists for the operation; a token of any other is refused as "not accessible". */
  tokenKinds: readonly CallerKind[];
}

const USER_TOKENS: AccessKind[] = ["classic", "fine_grained_pat", "app_user"];
const EVERY_TOKEN: AccessKind[] = [...USER_TOKENS, "app_installation"];

const ENTERPRISE_CREDENTIALS_WRITE: Permission = { name: "enterprise_credentials", level: "write" };
const ORGANIZATION_ADMINISTRATION_READ: Permission = { name: "organization_administration", level: "read" };
const ORGANIZATION_ADMINISTRATION_WRITE: Permission = { name: "organization_administration", level: "write" };

/** The enterprise revoke endpoints: no fine-grained PAT; App user and installation tokens with Enterprise credentials: write. */
const ENTERPRISE_REVOKE: OperationAccess = {
  oauthScopes: ["admin:enterprise"],
  permissions: [ENTERPRISE_CREDENTIALS_WRITE],
  tokenKinds: ["classic", "app_user", "app_installation"],
};

/** The organization bulk revoke endpoints: classic tokens and App installation tokens only. */
const ORGANIZATION_REVOKE: OperationAccess = {
  oauthScopes: ["admin:org"],
  permissions: [ORGANIZATION_ADMINISTRATION_WRITE],
  tokenKinds: ["classic", "app_installation"],
};

const PERMISSIONLESS = { oauthScopes: [], permissions: [] } as const;

/** "You must use a JWT to access this endpoint": the App itself, and no token. */
const APP_JWT: OperationAccess = { ...PERMISSIONLESS, tokenKinds: ["app"] };

/** An App installation with one permission at one level, and no other token. */
const installationWith = (name: string, level: Permission["level"]): OperationAccess => ({
  oauthScopes: [],
  permissions: [{ name, level }],
  tokenKinds: ["app_installation"],
});

const PAT_GOVERNANCE = {
  tokens: {
    read: installationWith("organization_personal_access_tokens", "read"),
    write: installationWith("organization_personal_access_tokens", "write"),
  },
  requests: {
    read: installationWith("organization_personal_access_token_requests", "read"),
    write: installationWith("organization_personal_access_token_requests", "write"),
  },
};

/** credauth's job resources: whoever could have requested the job (mayReadRevocation decides which). */
const REVOCATION_READERS: OperationAccess = {
  oauthScopes: ["admin:enterprise", "read:org"],
  permissions: [ENTERPRISE_CREDENTIALS_WRITE, ORGANIZATION_ADMINISTRATION_READ],
  tokenKinds: EVERY_TOKEN,
};

/** Every operation credauth serves, by GitHub's operationId (credauth's own under `credauth/`). */
export const OPERATIONS = {
  "enterprise-admin/revoke-all-credential-authorizations": ENTERPRISE_REVOKE,
  "enterprise-admin/revoke-credential-type-for-enterprise": ENTERPRISE_REVOKE,
  "enterprise-admin/revoke-credential-authorizations-for-user": ENTERPRISE_REVOKE,
  "enterprise-admin/revoke-credential-type-for-user": ENTERPRISE_REVOKE,
  "enterprise-admin/get-audit-log": {
    oauthScopes: ["read:audit_log"],
    permissions: [{ name: "enterprise_administration", level: "read" }],
    tokenKinds: ["classic", "app_user", "app_installation"],
  },
  "orgs/list-saml-sso-authorizations": {
    oauthScopes: ["read:org"],
    permissions: [ORGANIZATION_ADMINISTRATION_READ],
    tokenKinds: EVERY_TOKEN,
  },
  "orgs/remove-saml-sso-authorization": {
    oauthScopes: ["admin:org"],
    permissions: [ORGANIZATION_ADMINISTRATION_WRITE],
    tokenKinds: EVERY_TOKEN,
  },
  "orgs/revoke-all-credential-authorizations": ORGANIZATION_REVOKE,
  "orgs/revoke-credential-type": ORGANIZATION_REVOKE,
  "orgs/revoke-credential-authorizations-for-user": ORGANIZATION_REVOKE,
  "orgs/revoke-credential-type-for-user": ORGANIZATION_REVOKE,
  "orgs/get-audit-log": {
    oauthScopes: ["read:audit_log"],
    permissions: [ORGANIZATION_ADMINISTRATION_READ],
    tokenKinds: EVERY_TOKEN,
  },
  "orgs/get": { ...PERMISSIONLESS, tokenKinds: EVERY_TOKEN },
  "orgs/list-members": {
    oauthScopes: ["read:org"],
    permissions: [{ name: "members", level: "read" }],
    tokenKinds: EVERY_TOKEN,
  },
  // The authenticated user's own resources: an App installation is no user.
  "users/get-authenticated": { ...PERMISSIONLESS, tokenKinds: USER_TOKENS },
  "orgs/list-for-authenticated-user": { oauthScopes: ["user", "read:org"], permissions: [], tokenKinds: USER_TOKENS },
  "users/list-public-ssh-keys-for-authenticated-user": {
    oauthScopes: ["read:public_key"],
    permissions: [{ name: "git_ssh_keys", level: "read" }],
    tokenKinds: USER_TOKENS,
  },
  "rate-limit/get": { ...PERMISSIONLESS, tokenKinds: EVERY_TOKEN },
  "apps/get-authenticated": APP_JWT,
  "apps/list-installations": APP_JWT,
  "apps/get-installation": APP_JWT,
  "apps/get-org-installation": APP_JWT,
  "apps/get-enterprise-installation": APP_JWT,
  "apps/create-installation-access-token": APP_JWT,
  "apps/delete-installation": APP_JWT,
  "apps/suspend-installation": APP_JWT,
  "apps/unsuspend-installation": APP_JWT,
  // An App's owner, signed in by the App's client id and secret (Basic), which the route checks:
  // no token at all.
  "apps/check-token": { ...PERMISSIONLESS, tokenKinds: [] },
  "apps/reset-token": { ...PERMISSIONLESS, tokenKinds: [] },
  "apps/delete-token": { ...PERMISSIONLESS, tokenKinds: [] },
  "apps/delete-authorization": { ...PERMISSIONLESS, tokenKinds: [] },
  "apps/scope-token": { ...PERMISSIONLESS, tokenKinds: [] },
  // An organization's fine-grained PAT governance: "only GitHub Apps can use this endpoint".
  "orgs/list-pat-grants": PAT_GOVERNANCE.tokens.read,
  "orgs/update-pat-accesses": PAT_GOVERNANCE.tokens.write,
  "orgs/update-pat-access": PAT_GOVERNANCE.tokens.write,
  "orgs/list-pat-grant-repositories": PAT_GOVERNANCE.tokens.read,
  "orgs/list-pat-grant-requests": PAT_GOVERNANCE.requests.read,
  "orgs/list-pat-grant-request-repositories": PAT_GOVERNANCE.requests.read,
  "orgs/review-pat-grant-requests-in-bulk": PAT_GOVERNANCE.requests.write,
  "orgs/review-pat-grant-request": PAT_GOVERNANCE.requests.write,
  /** The repositories an installation reaches (none: credauth models no repositories). */
  "apps/list-repos-accessible-to-installation": { ...PERMISSIONLESS, tokenKinds: ["app_installation"] },
  /** An installation token revoking itself. */
  "apps/revoke-installation-access-token": { ...PERMISSIONLESS, tokenKinds: ["app_installation"] },
  // "Any authenticated requests will return a 403": no token kind at all.
  "credentials/revoke": { ...PERMISSIONLESS, tokenKinds: [] },
  /** The job behind a 202: whoever could have made the request it follows. */
  "credauth/get-revocation": REVOCATION_READERS,
  /** The jobs a caller could have requested, as a list, and one job's changes as they happen. */
  "credauth/list-revocations": REVOCATION_READERS,
  "credauth/follow-revocation": REVOCATION_READERS,
  /** The enterprises and organizations the caller manages (the console's home). */
  "credauth/list-scopes": REVOCATION_READERS,
  /** Who a job's settling notified, and how each delivery went. */
  "credauth/list-revocation-notifications": REVOCATION_READERS,
} as const satisfies Record<string, OperationAccess>;

export type OperationId = keyof typeof OPERATIONS;

export const accessOf = (operation: OperationId): OperationAccess => OPERATIONS[operation];

/** `X-Accepted-OAuth-Scopes`: the scopes the operation checks, as GitHub lists them. */
export function acceptedOAuthScopes(access: OperationAccess): string {
  return access.oauthScopes.join(", ");
}

/**
 * `X-Accepted-GitHub-Permissions`: alternative permission sets joined by `; ` (each set here is a
 * single permission), or GitHub's marker for an operation that needs none.
 */
export function acceptedGitHubPermissions(access: OperationAccess): string {
  if (access.permissions.length === 0) return "allows_permissionless_access=true";
  return access.permissions.map((permission) => `${permission.name}=${permission.level}`).join("; ");
}
