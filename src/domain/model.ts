// The credauth world, as plain types. No SQL, no HTTP.

export const CREDENTIAL_TYPES = [
  "classic_pat",
  "fine_grained_pat",
  "oauth_app_token",
  "github_app_token",
  "ssh_key",
] as const;
export type CredentialType = (typeof CREDENTIAL_TYPES)[number];

/** The `credential_type` values the revoke-credential-type endpoints accept (GitHub's enum). */
export const REVOCABLE_CREDENTIAL_TYPES = ["classic_pat", "fine_grained_pat", "ssh_key", "oauth_app_token"] as const;
export type RevocableCredentialType = (typeof REVOCABLE_CREDENTIAL_TYPES)[number];

/**
 * What `revoke_credentials: true` destroys on an EMU enterprise: PATs (classic and fine-grained)
 * and SSH keys. OAuth app tokens and GitHub App user tokens only ever lose their authorizations.
 */
export const DESTROYABLE_CREDENTIAL_TYPES = [
  "classic_pat",
  "fine_grained_pat",
  "ssh_key",
] as const satisfies readonly CredentialType[];

export function isRevocableCredentialType(value: unknown): value is RevocableCredentialType {
  return typeof value === "string" && (REVOCABLE_CREDENTIAL_TYPES as readonly string[]).includes(value);
}

export interface Enterprise {
  id: number;
  slug: string;
  name: string;
  emu: boolean;
  firstOwnerId: number | null;
}

export interface Organization {
  id: number;
  login: string;
  enterpriseId: number;
  samlSso: boolean;
}

export interface User {
  id: number;
  login: string;
  createdAt: Date;
}

/** How one user stands towards one enterprise; decides what they may see and do there. */
export interface EnterpriseRelation {
  isOwner: boolean;
  isCredentialManager: boolean;
  /** Owner, credential manager, guest collaborator, or member/outside collaborator of one of its organizations. */
  isRelated: boolean;
}

/** How one user stands towards one organization. */
export interface OrganizationRelation {
  isOwner: boolean;
  /** Owner, member or outside collaborator. */
  isParticipant: boolean;
}

/** The credential a request authenticated with. */
export interface AuthenticatedCredential {
  id: number;
  type: Exclude<CredentialType, "ssh_key">;
  scopes: string[];
  permissions: Record<string, string>;
  resourceOwner: string | null;
  expiresAt: Date | null;
}

/** Who is calling: a user and the token they used. */
export interface Principal {
  user: User;
  credential: AuthenticatedCredential;
}
