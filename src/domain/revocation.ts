// The revocation rules: what a request covers, what it is refused for, and what it answers.

import { type ApiError, Errors } from "../errors.ts";
import { SSO_AUTHORIZABLE_CREDENTIAL_TYPES } from "./credential-types.ts";
import type { Enterprise, RevocableCredentialType, User } from "./model.ts";

/** The four request forms; the organization endpoints reuse them with an organization set. */
export type RevocationForm = "all" | "user" | "credential_type" | "user_credential_type";

export interface RevocationScope {
  enterpriseId: number;
  /** Null: every organization of the enterprise. */
  organizationId: number | null;
  /** Null: every user. */
  targetUserId: number | null;
  /** Null: every credential type (including GitHub App user tokens, which have no type filter). */
  credentialType: RevocableCredentialType | null;
  /** EMU only: destroy the PATs and SSH keys themselves too. */
  revokeCredentials: boolean;
}

/**
 * Refusals that depend on the enterprise and target, in GitHub's order: the first EMU owner is
 * never a target, and `revoke_credentials` needs an EMU enterprise.
 */
export function refuseRevocation(
  enterprise: Enterprise,
  target: User | null,
  revokeCredentials: boolean,
): ApiError | null {
  if (target !== null && enterprise.emu && enterprise.firstOwnerId === target.id)
    return Errors.firstEmuOwnerNotTargetable();
  if (revokeCredentials && !enterprise.emu) return Errors.revokeCredentialsRequiresEmu();
  return null;
}

export function acceptedMessage(form: RevocationForm, targetLogin: string | null): string {
  switch (form) {
    case "all":
      return "Credential authorization revocation has been queued";
    case "user":
      return `Credential authorization revocation for user '${targetLogin}' has been queued`;
    case "credential_type":
      return "Credential type revocation has been queued";
    case "user_credential_type":
      return `Credential type revocation for user '${targetLogin}' has been queued`;
  }
}

export const WARNINGS = {
  revokedOrDestroyed: "The token used for this request may also be revoked or destroyed as part of this operation",
  authorizationRevoked:
    "The token used for this request may also have its authorization revoked as part of this operation",
  destroyed: "The token used for this request may also be destroyed as part of this operation",
} as const;

/**
 * The warning for the caller's own token, present exactly when that token falls in the request's
 * scope. revoke-all has one wording for both effects (GitHub's); the other forms say which one.
 */
export function callerWarning(
  form: RevocationForm,
  callerToken: { authorizationInScope: boolean; destroyedInScope: boolean },
  level: "enterprise" | "organization" = "enterprise",
): string | undefined {
  const { authorizationInScope, destroyedInScope } = callerToken;
  if (!authorizationInScope && !destroyedInScope) return undefined;
  // Organization requests never destroy credentials: their contract has one wording.
  if (level === "organization") return WARNINGS.authorizationRevoked;
  if (form === "all") return WARNINGS.revokedOrDestroyed;
  return destroyedInScope ? WARNINGS.destroyed : WARNINGS.authorizationRevoked;
}

/**
 * Audit action names GitHub records for an authorization; what a credential's own type adds (a
 * fine-grained PAT's access_revoked, each destroyed type's action) is in credential-types.ts.
 */
export const AUDIT_ACTIONS = {
  authorizationGranted: "org_credential_authorization.grant",
  authorizationRevoked: "org_credential_authorization.revoke",
  /** Recorded beside `.revoke` by the revoke endpoints, as GitHub lists the events of "revoke authorizations". */
  authorizationDeauthorized: "org_credential_authorization.deauthorize",
} as const;

/** GitHub's `operation_type` of an event, by its action's verb (`org_credential_authorization.grant` → create). */
const OPERATION_BY_VERB: Readonly<Record<string, string>> = {
  grant: "create",
  deauthorize: "modify",
  revoke: "remove",
  access_revoked: "remove",
  destroy: "remove",
  delete: "remove",
  // GitHub Apps and fine-grained PAT governance.
  create: "create",
  access_granted: "create",
  suspend: "modify",
  unsuspend: "modify",
  regenerate: "modify",
  request_denied: "modify",
};

export function operationOfAction(action: string): string | undefined {
  return OPERATION_BY_VERB[action.slice(action.indexOf(".") + 1)];
}

/** The action verbs filed under an operation (`operation:remove`), for searching. */
export function verbsOfOperation(operation: string): string[] {
  return Object.entries(OPERATION_BY_VERB)
    .filter(([, filed]) => filed === operation)
    .map(([verb]) => verb);
}

/** Counts per credential type that can hold SSO authorizations, each present (0 when none), plus their total. */
export function countsByType(rows: readonly { credentialType: string; count: number }[]) {
  const counts: Record<string, number> = Object.fromEntries(SSO_AUTHORIZABLE_CREDENTIAL_TYPES.map((type) => [type, 0]));
  let total = 0;
  for (const row of rows) {
    counts[row.credentialType] = row.count;
    total += row.count;
  }
  return { ...counts, total };
}

/** What a revocation's resource shows. */
export interface RevocationFacts {
  id: number;
  enterpriseSlug: string;
  organizationLogin: string | null;
  targetLogin: string | null;
  credentialType: string | null;
  revokeCredentials: boolean;
  requesterLogin: string;
  requesterId: number | null;
  state: "queued" | "running" | "succeeded" | "failed";
  requestedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  error: string | null;
  counts: readonly {
    effect: "authorization_revoked" | "credential_destroyed";
    credentialType: string;
    count: number;
  }[];
}

/**
 * A revocation as credauth shows it: the job resource (GET /_credauth/revocations/{id}) and the
 * `revocation` of its webhook. `url` null leaves the link out (a worker that knows no public URL).
 */
export function revocationResource(revocation: RevocationFacts, url: string | null) {
  return {
    id: revocation.id,
    ...(url === null ? {} : { url }),
    state: revocation.state,
    scope: {
      enterprise: revocation.enterpriseSlug,
      organization: revocation.organizationLogin,
      username: revocation.targetLogin,
      credential_type: revocation.credentialType,
      revoke_credentials: revocation.revokeCredentials,
    },
    requester: { login: revocation.requesterLogin, id: revocation.requesterId },
    created_at: revocation.requestedAt.toISOString(),
    started_at: revocation.startedAt?.toISOString() ?? null,
    completed_at: revocation.finishedAt?.toISOString() ?? null,
    error: revocation.error,
    counts: {
      authorizations_revoked: countsByType(revocation.counts.filter((c) => c.effect === "authorization_revoked")),
      credentials_destroyed: countsByType(revocation.counts.filter((c) => c.effect === "credential_destroyed")),
    },
  };
}
