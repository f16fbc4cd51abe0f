// What each credential type is, in one table that everything else reads: token formats, policies,
// fixtures, presenters, counts, audit events and the SQL that scopes revocations. Adding a type
// is one entry here (the database learns the names at migration: store/migrate.ts).

export type AccessKind = "classic" | "fine_grained_pat" | "app_user" | "app_installation";

export interface CredentialTypeFacts {
  /** The token's prefix; null for a key (SSH), which is not a bearer token and never authenticates. */
  prefix: string | null;
  /**
   * What follows the prefix, in base62: `short` is 36 characters (30 random + a 6-character
   * checksum), `fine-grained` is 22 + `_` + 59 (the last 6 a checksum).
   */
  shape: "short" | "fine-grained" | null;
  /** What limits a token of this type: classic OAuth scopes, or fine-grained permissions. */
  limitedBy: "scopes" | "permissions" | null;
  /**
   * Whose resources its permissions reach: only the resource owner it was created for (a
   * fine-grained PAT), or any (a GitHub App user token acts wherever its app is installed).
   */
  reaches: "its-resource-owner" | "any-resource-owner" | null;
  /** How GitHub's 403 names it when a permission is missing. */
  deniedAs: "personal_access_token" | "integration" | null;
  /** A `credential_type` value of the revoke-credential-type endpoints (GitHub's enum). */
  revocableByType: boolean;
  /** Destroyed by `revoke_credentials: true` on an EMU enterprise; otherwise it only loses authorizations. */
  destroyable: boolean;
  /** Audit action recorded when a revocation destroys it. */
  destroyedAction: string | null;
  /** Audit action recorded beside `org_credential_authorization.revoke` when its authorization is revoked. */
  alsoRecordedOnRevoke: string | null;
  /** GitHub's `programmatic_access_type` in audit events. */
  auditLabel: string;
  /** `credential_type` in the organization's credential-authorization list. */
  listLabel: string;
  /** How the SAML 403 names it: "You must grant your … access to this organization." */
  ssoLabel: "Personal Access token" | "OAuth token" | null;
  /**
   * Which of GitHub's token models it belongs to, as GitHub's documentation data lists per
   * operation who may call it (domain/operations.ts): classic (scopes), fine-grained PAT, GitHub
   * App user-to-server, or GitHub App server-to-server — an installation, which acts by its
   * permissions on the account it is installed on, with no user and no role. Null for keys.
   */
  accessKind: AccessKind | null;
  /** Can be authorized for SAML SSO organizations (App installation tokens are exempt from SSO). */
  ssoAuthorizable: boolean;
  /**
   * The audit action recorded when POST /credentials/revoke revokes a token of this type by its
   * value; null when that endpoint does not take this type (GitHub's list of accepted prefixes).
   */
  valueRevocationAction: string | null;
}

/** In GitHub's enum order (`credential_type`: classic_pat, fine_grained_pat, ssh_key, oauth_app_token). */
export const CREDENTIAL_TYPE_FACTS = {
  classic_pat: {
    prefix: "ghp_",
    shape: "short",
    limitedBy: "scopes",
    reaches: null,
    deniedAs: null,
    revocableByType: true,
    destroyable: true,
    destroyedAction: "personal_access_token.destroy",
    alsoRecordedOnRevoke: null,
    auditLabel: "Personal access token (classic)",
    listLabel: "personal access token",
    ssoLabel: "Personal Access token",
    accessKind: "classic",
    ssoAuthorizable: true,
    valueRevocationAction: "personal_access_token.destroy",
  },
  fine_grained_pat: {
    prefix: "github_pat_",
    shape: "fine-grained",
    limitedBy: "permissions",
    reaches: "its-resource-owner",
    deniedAs: "personal_access_token",
    revocableByType: true,
    destroyable: true,
    destroyedAction: "personal_access_token.destroy",
    alsoRecordedOnRevoke: "personal_access_token.access_revoked",
    auditLabel: "Fine-grained personal access token",
    listLabel: "personal access token",
    ssoLabel: "Personal Access token",
    accessKind: "fine_grained_pat",
    ssoAuthorizable: true,
    valueRevocationAction: "personal_access_token.destroy",
  },
  ssh_key: {
    prefix: null,
    shape: null,
    limitedBy: null,
    reaches: null,
    deniedAs: null,
    revocableByType: true,
    destroyable: true,
    destroyedAction: "public_key.delete",
    alsoRecordedOnRevoke: null,
    auditLabel: "SSH key",
    listLabel: "SSH key",
    ssoLabel: null,
    accessKind: null,
    ssoAuthorizable: true,
    valueRevocationAction: null,
  },
  oauth_app_token: {
    prefix: "gho_",
    shape: "short",
    limitedBy: "scopes",
    reaches: null,
    deniedAs: null,
    revocableByType: true,
    // OAuth tokens only ever lose their authorizations (docs/decisions.md, decision 5).
    destroyable: false,
    destroyedAction: null,
    alsoRecordedOnRevoke: null,
    auditLabel: "OAuth access token",
    listLabel: "OAuth app token",
    ssoLabel: "OAuth token",
    accessKind: "classic",
    ssoAuthorizable: true,
    valueRevocationAction: "oauth_access.destroy",
  },
  github_app_token: {
    prefix: "ghu_",
    shape: "short",
    limitedBy: "permissions",
    reaches: "any-resource-owner",
    deniedAs: "integration",
    // GitHub's credential_type enum has no value for it: only revoke-all and the user form reach it.
    revocableByType: false,
    destroyable: false,
    destroyedAction: null,
    alsoRecordedOnRevoke: null,
    auditLabel: "GitHub App user-to-server token",
    listLabel: "GitHub app token",
    ssoLabel: "OAuth token",
    accessKind: "app_user",
    ssoAuthorizable: true,
    valueRevocationAction: "oauth_access.destroy",
  },
  // An App acting as itself on the account it is installed on (`ghs_`). GitHub's revocations never
  // touch it: it holds no SSO authorization and is not a user's credential.
  github_app_installation_token: {
    prefix: "ghs_",
    shape: "short",
    limitedBy: "permissions",
    reaches: "its-resource-owner",
    deniedAs: "integration",
    revocableByType: false,
    destroyable: false,
    destroyedAction: null,
    alsoRecordedOnRevoke: null,
    auditLabel: "GitHub App server-to-server token",
    listLabel: "GitHub app installation token",
    ssoLabel: null,
    accessKind: "app_installation",
    ssoAuthorizable: false,
    valueRevocationAction: null,
  },
} as const satisfies Record<string, CredentialTypeFacts>;

export type CredentialType = keyof typeof CREDENTIAL_TYPE_FACTS;

type TypesWhere<Field extends keyof CredentialTypeFacts, Value> = {
  [Type in CredentialType]: (typeof CREDENTIAL_TYPE_FACTS)[Type][Field] extends Value ? Type : never;
}[CredentialType];

/** Credentials that are bearer tokens (every type but keys). */
export type TokenCredentialType = TypesWhere<"prefix", string>;
/** The `credential_type` values the revoke-credential-type endpoints accept. */
export type RevocableCredentialType = TypesWhere<"revocableByType", true>;

export const CREDENTIAL_TYPES = Object.keys(CREDENTIAL_TYPE_FACTS) as CredentialType[];
const typesWhere = (test: (facts: CredentialTypeFacts) => boolean) =>
  CREDENTIAL_TYPES.filter((type) => test(CREDENTIAL_TYPE_FACTS[type]));

export const TOKEN_CREDENTIAL_TYPES = typesWhere((facts) => facts.prefix !== null) as TokenCredentialType[];
export const REVOCABLE_CREDENTIAL_TYPES = typesWhere((facts) => facts.revocableByType) as RevocableCredentialType[];
export const DESTROYABLE_CREDENTIAL_TYPES = typesWhere((facts) => facts.destroyable);
/** Types whose tokens carry classic OAuth scopes (X-OAuth-Scopes, `scopes` in lists and fixtures). */
export const SCOPED_CREDENTIAL_TYPES = typesWhere((facts) => facts.limitedBy === "scopes");
/** Types that can hold SSO authorizations: what revocations count, type by type. */
export const SSO_AUTHORIZABLE_CREDENTIAL_TYPES = typesWhere((facts) => facts.ssoAuthorizable);

export const factsOf = (type: CredentialType): CredentialTypeFacts => CREDENTIAL_TYPE_FACTS[type];

export function isCredentialType(value: unknown): value is CredentialType {
  return typeof value === "string" && Object.hasOwn(CREDENTIAL_TYPE_FACTS, value);
}

export function isRevocableCredentialType(value: unknown): value is RevocableCredentialType {
  return isCredentialType(value) && CREDENTIAL_TYPE_FACTS[value].revocableByType;
}
