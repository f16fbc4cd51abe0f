// The credauth world, as plain types. No SQL, no HTTP.

import type { TokenCredentialType } from "./credential-types.ts";

export type { CredentialType, RevocableCredentialType } from "./credential-types.ts";

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
  /** Owner or member (outside collaborators are not members). */
  isMember: boolean;
  /** Owner, member or outside collaborator. */
  isParticipant: boolean;
}

/** The credential a request authenticated with. */
export interface AuthenticatedCredential {
  id: number;
  type: TokenCredentialType;
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
