// Turns a policy denial into GitHub's answer for the caller's token kind.
import type { Principal } from "../domain/model.ts";
import type { Decision } from "../domain/policies.ts";
import { Errors } from "../errors.ts";

export function enforce(decision: Decision, principal: Principal): void {
  if (decision.allowed) return;
  const denial = decision.denial;
  switch (denial.kind) {
    case "hidden":
      throw Errors.notFound();
    case "missing_scope":
      throw Errors.missingOAuthScope(denial.acceptedScope, principal.credential.scopes);
    case "missing_permission":
      throw denial.tokenKind === "personal_access_token"
        ? Errors.fineGrainedPermissionMissing(denial.acceptedPermissions)
        : Errors.integrationPermissionMissing(denial.acceptedPermissions);
    case "unauthenticated_only":
      throw Errors.unauthenticatedOnly();
    case "app_jwt_required":
      throw Errors.jwtNotDecodable();
    case "missing_role":
      switch (denial.role) {
        case "enterprise_credentials_manager":
          throw Errors.enterpriseCredentialsRoleRequired();
        case "enterprise_owner":
          throw Errors.enterpriseOwnerRequired();
        case "organization_owner":
          throw Errors.organizationOwnerRequired();
      }
  }
}
