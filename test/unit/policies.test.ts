import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AuthenticatedCredential, EnterpriseRelation, Principal } from "../../src/domain/model.ts";
import { acceptedGitHubPermissions, accessOf, OPERATIONS } from "../../src/domain/operations.ts";
import {
  expandScopes,
  mayActAsOrganizationOwner,
  mayManageEnterpriseCredentials,
  mayReadRevocation,
  maySeeConcealedMembers,
  tokenAllows,
} from "../../src/domain/policies.ts";
import { callerWarning, refuseRevocation, WARNINGS } from "../../src/domain/revocation.ts";

const REVOKE_ALL = accessOf("enterprise-admin/revoke-all-credential-authorizations");
const owner: EnterpriseRelation = { isOwner: true, isCredentialManager: false, isRelated: true };
const member: EnterpriseRelation = { isOwner: false, isCredentialManager: false, isRelated: true };
const manager: EnterpriseRelation = { isOwner: false, isCredentialManager: true, isRelated: true };

const manage = (p: Principal, relation: EnterpriseRelation | null) =>
  mayManageEnterpriseCredentials(p, REVOKE_ALL, "acme", relation);

function principal(credential: Partial<AuthenticatedCredential>): Principal {
  return {
    user: { id: 1, login: "u", createdAt: new Date() },
    credential: {
      id: 1,
      type: "classic_pat",
      scopes: [],
      permissions: {},
      resourceOwner: null,
      expiresAt: null,
      ...credential,
    },
  };
}

describe("enterprise credential policies", () => {
  it("hides the enterprise from people with no relation to it", () => {
    const p = principal({ scopes: ["admin:enterprise"] });
    assert.deepEqual(manage(p, null), { allowed: false, denial: { kind: "hidden" } });
    assert.deepEqual(manage(p, { ...member, isRelated: false }), { allowed: false, denial: { kind: "hidden" } });
  });

  it("needs admin:enterprise on classic and OAuth tokens, whatever the role", () => {
    for (const type of ["classic_pat", "oauth_app_token"] as const) {
      assert.deepEqual(manage(principal({ type, scopes: ["repo", "admin:org"] }), owner), {
        allowed: false,
        denial: { kind: "missing_scope", acceptedScope: "admin:enterprise" },
      });
      assert.deepEqual(manage(principal({ type, scopes: ["admin:enterprise"] }), owner), { allowed: true });
    }
  });

  it("refuses fine-grained PATs, which GitHub does not list for the enterprise revoke endpoints", () => {
    const strongest = principal({
      type: "fine_grained_pat",
      permissions: { enterprise_credentials: "write" },
      resourceOwner: "acme",
    });
    assert.deepEqual(manage(strongest, owner), {
      allowed: false,
      denial: {
        kind: "missing_permission",
        acceptedPermissions: "enterprise_credentials=write",
        tokenKind: "personal_access_token",
      },
    });
  });

  it("lets a manager's GitHub App user token act with enterprise_credentials=write, and no less", () => {
    const write = principal({ type: "github_app_token", permissions: { enterprise_credentials: "write" } });
    assert.deepEqual(manage(write, manager), { allowed: true });
    const read = principal({ type: "github_app_token", permissions: { enterprise_credentials: "read" } });
    assert.deepEqual(manage(read, owner), {
      allowed: false,
      denial: {
        kind: "missing_permission",
        acceptedPermissions: "enterprise_credentials=write",
        tokenKind: "integration",
      },
    });
    // The user behind the token still needs the role.
    assert.equal(manage(write, member).allowed, false);
  });

  it("lets an App installed on the enterprise act without a role, and hides everything else from it", () => {
    const installation = principal({
      type: "github_app_installation_token",
      permissions: { enterprise_credentials: "write" },
      resourceOwner: "ACME",
    });
    const notRelated: EnterpriseRelation = { isOwner: false, isCredentialManager: false, isRelated: false };
    assert.deepEqual(manage(installation, notRelated), { allowed: true });
    assert.deepEqual(mayManageEnterpriseCredentials(installation, REVOKE_ALL, "other", notRelated), {
      allowed: false,
      denial: { kind: "hidden" },
    });
    assert.deepEqual(manage(installation, null), { allowed: false, denial: { kind: "hidden" } });
    const readOnly = principal({ ...installation.credential, permissions: { enterprise_credentials: "read" } });
    assert.equal(manage(readOnly, notRelated).allowed, false);
  });

  it("lets owners and credential managers act, and refuses other members", () => {
    const p = principal({ scopes: ["admin:enterprise"] });
    assert.equal(manage(p, manager).allowed, true);
    assert.deepEqual(manage(p, member), {
      allowed: false,
      denial: { kind: "missing_role", role: "enterprise_credentials_manager" },
    });
    const job = { enterpriseSlug: "acme", organizationLogin: null };
    assert.deepEqual(mayReadRevocation(p, job, member, null), { allowed: false, denial: { kind: "hidden" } });
  });

  it("expands implied scopes", () => {
    assert.ok(expandScopes(["admin:org"]).has("read:org"));
    assert.ok(!expandScopes(["read:org"]).has("admin:org"));
    assert.ok(expandScopes(["admin:public_key"]).has("read:public_key"));
  });
});

describe("organization policies", () => {
  const ownerOfOrg = { isOwner: true, isMember: true, isParticipant: true };
  const orgPrincipal = (type: AuthenticatedCredential["type"]) =>
    principal({ type, permissions: { organization_administration: "write" }, resourceOwner: "eng" });

  it("lets fine-grained and App user tokens list and remove, but not bulk-revoke (GitHub's data)", () => {
    for (const type of ["fine_grained_pat", "github_app_token"] as const) {
      for (const operation of ["orgs/list-saml-sso-authorizations", "orgs/remove-saml-sso-authorization"] as const) {
        const decision = mayActAsOrganizationOwner(orgPrincipal(type), accessOf(operation), "eng", ownerOfOrg);
        assert.equal(decision.allowed, true);
      }
      const bulk = mayActAsOrganizationOwner(
        orgPrincipal(type),
        accessOf("orgs/revoke-all-credential-authorizations"),
        "eng",
        ownerOfOrg,
      );
      assert.equal(bulk.allowed ? "allowed" : bulk.denial.kind, "missing_permission");
    }
  });

  it("shows concealed members to members with read:org, not to outside collaborators", () => {
    const access = accessOf("orgs/list-members");
    const reader = principal({ scopes: ["read:org"] });
    assert.equal(
      maySeeConcealedMembers(reader, access, "eng", { isOwner: false, isMember: true, isParticipant: true }).allowed,
      true,
    );
    const collaborator = { isOwner: false, isMember: false, isParticipant: true };
    assert.equal(maySeeConcealedMembers(reader, access, "eng", collaborator).allowed, false);
    assert.equal(maySeeConcealedMembers(null, access, "eng", collaborator).allowed, false);
  });

  it("lets an App installed on the organization bulk-revoke there, and nowhere else", () => {
    const installation = orgPrincipal("github_app_installation_token");
    const noRole = { isOwner: false, isMember: false, isParticipant: false };
    const access = accessOf("orgs/revoke-all-credential-authorizations");
    assert.deepEqual(mayActAsOrganizationOwner(installation, access, "eng", noRole), { allowed: true });
    assert.deepEqual(mayActAsOrganizationOwner(installation, access, "ops", noRole), {
      allowed: false,
      denial: { kind: "hidden" },
    });
  });
});

describe("the operations table", () => {
  it("names, for every operation, permissions in GitHub's header form or the permissionless marker", () => {
    for (const access of Object.values(OPERATIONS)) {
      const header = acceptedGitHubPermissions(access);
      assert.match(header, /^(allows_permissionless_access=true|[a-z_]+=(read|write)(; [a-z_]+=(read|write))*)$/);
    }
    assert.equal(acceptedGitHubPermissions(accessOf("users/get-authenticated")), "allows_permissionless_access=true");
  });
});

describe("revocation rules", () => {
  const emu = { id: 1, slug: "acme", name: "Acme", emu: true, firstOwnerId: 7 };
  it("refuses the first EMU owner as target and revoke_credentials outside EMU", () => {
    assert.equal(
      refuseRevocation(emu, { id: 7, login: "acme_admin", createdAt: new Date() }, false)?.code,
      "first_emu_owner_not_targetable",
    );
    assert.equal(refuseRevocation({ ...emu, emu: false }, null, true)?.code, "revoke_credentials_requires_emu");
    assert.equal(refuseRevocation(emu, { id: 8, login: "x", createdAt: new Date() }, true), null);
  });

  it("warns only when the caller's token is in scope", () => {
    assert.equal(callerWarning("user", { authorizationInScope: false, destroyedInScope: false }), undefined);
    assert.equal(
      callerWarning("all", { authorizationInScope: true, destroyedInScope: false }),
      WARNINGS.revokedOrDestroyed,
    );
    assert.equal(
      callerWarning("all", { authorizationInScope: false, destroyedInScope: true }),
      WARNINGS.revokedOrDestroyed,
    );
    assert.equal(
      callerWarning("user", { authorizationInScope: true, destroyedInScope: false }),
      WARNINGS.authorizationRevoked,
    );
    assert.equal(
      callerWarning("user_credential_type", { authorizationInScope: true, destroyedInScope: true }),
      WARNINGS.destroyed,
    );
  });
});

describe("App user tokens scoped to one organization", () => {
  const members = accessOf("orgs/list-members");
  const appUser = (resourceOwner: string | null) =>
    principal({ type: "github_app_token", permissions: { members: "read" }, resourceOwner });

  it("reach any resource owner unscoped, and only their own once scoped", () => {
    assert.deepEqual(tokenAllows(appUser(null), members, "acme-eng"), { allowed: true });
    assert.deepEqual(tokenAllows(appUser("acme-web"), members, "acme-web"), { allowed: true });
    assert.deepEqual(tokenAllows(appUser("acme-web"), members, "ACME-WEB"), { allowed: true });
    assert.equal(tokenAllows(appUser("acme-web"), members, "acme-eng").allowed, false);
  });

  it("are held to their permissions wherever they reach", () => {
    const withoutMembers = principal({ type: "github_app_token", permissions: {}, resourceOwner: "acme-web" });
    assert.equal(tokenAllows(withoutMembers, members, "acme-web").allowed, false);
  });
});
