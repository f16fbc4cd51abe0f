// Request bodies of the four enterprise revoke endpoints, checked the way GitHub reports them.
import { isRevocableCredentialType, type RevocableCredentialType } from "../../domain/model.ts";
import { Errors } from "../../errors.ts";

export interface RevokeBody {
  revokeCredentials: boolean;
  credentialType: RevocableCredentialType | null;
}

function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** Parses the body; unknown fields are ignored, as GitHub does. */
export function parseRevokeBody(
  body: unknown,
  options: { credentialTypeRequired: boolean; acceptsRevokeCredentials?: boolean },
): RevokeBody {
  if (body === undefined) body = {};
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw Errors.bodyNotObject();
  const fields = body as Record<string, unknown>;
  // The organization endpoints have no revoke_credentials: there it is an unknown field, ignored.
  // Present but null is refused as GitHub's schema check does: null is not a boolean.
  const revokeCredentials =
    options.acceptsRevokeCredentials === false || !("revoke_credentials" in fields) ? false : fields.revoke_credentials;
  if (typeof revokeCredentials !== "boolean") {
    throw Errors.invalidRequest(
      `For 'properties/revoke_credentials', ${describe(revokeCredentials)} is not a boolean.`,
    );
  }
  let credentialType: RevocableCredentialType | null = null;
  if (options.credentialTypeRequired) {
    if (!isRevocableCredentialType(fields.credential_type)) throw Errors.invalidCredentialType();
    credentialType = fields.credential_type;
  }
  return { revokeCredentials, credentialType };
}
