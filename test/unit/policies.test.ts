import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AuthenticatedCredential, EnterpriseRelation, Principal } from "../../src/domain/model.ts";
import {
  expandScopes,
  mayManageEnterpriseCredentials,
  mayReadEnterpriseRevocation,
} from "../../src/domain/policies.ts";
import { callerWarning, refuseRevocation, WARNINGS } from "../../src/domain/revocation.ts";

const owner: EnterpriseRelation = { isOwner: true, isCredentialManager: false, isRelated: true };
const member: EnterpriseRelation = { isOwner: false, isCredentialManager: false, isRelated: true };
const manager: EnterpriseRelation = { isOwner: false, isCredentialManager: true, isRelated: true };

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
    assert.deepEqual(mayManageEnterpriseCredentials(p, "acme", null), { allowed: false, denial: { kind: "hidden" } });
    assert.deepEqual(mayManageEnterpriseCredentials(p, "acme", { ...member, isRelated: false }), {
      allowed: false,
      denial: { kind: "hidden" },
    });
  });

  it("needs admin:enterprise on classic and OAuth tokens, whatever the role", () => {
    for (const type of ["classic_pat", "oauth_app_token"] as const) {
      const denied = mayManageEnterpriseCredentials(principal({ type, scopes: ["repo", "admin:org"] }), "acme", owner);
      assert.deepEqual(denied, {
        allowed: false,
        denial: { kind: "missing_scope", acceptedScope: "admin:enterprise" },
      });
      assert.deepEqual(
        mayManageEnterpriseCredentials(principal({ type, scopes: ["admin:enterprise"] }), "acme", owner),
        { allowed: true },
      );
    }
  });

  it("needs enterprise_credentials=write on fine-grained tokens owned by the enterprise", () => {
    const ok = principal({
      type: "fine_grained_pat",
      permissions: { enterprise_credentials: "write" },
      resourceOwner: "ACME",
    });
    assert.deepEqual(mayManageEnterpriseCredentials(ok, "acme", manager), { allowed: true });
    for (const credential of [
      { permissions: { enterprise_credentials: "read" } as Record<string, string>, resourceOwner: "acme" },
      { permissions: { enterprise_credentials: "write" }, resourceOwner: "other" },
      { permissions: {}, resourceOwner: "acme" },
    ]) {
      const decision = mayManageEnterpriseCredentials(
        principal({ type: "fine_grained_pat", ...credential }),
        "acme",
        owner,
      );
      assert.deepEqual(decision, {
        allowed: false,
        denial: {
          kind: "missing_permission",
          acceptedPermissions: "enterprise_credentials=write",
          tokenKind: "personal_access_token",
        },
      });
    }
  });

  it("lets owners and credential managers act, and refuses other members", () => {
    const p = principal({ scopes: ["admin:enterprise"] });
    assert.equal(mayManageEnterpriseCredentials(p, "acme", manager).allowed, true);
    assert.deepEqual(mayManageEnterpriseCredentials(p, "acme", member), {
      allowed: false,
      denial: { kind: "missing_role", role: "enterprise_credentials_manager" },
    });
    assert.deepEqual(mayReadEnterpriseRevocation(p, "acme", member), { allowed: false, denial: { kind: "hidden" } });
  });

  it("expands implied scopes", () => {
    assert.ok(expandScopes(["admin:org"]).has("read:org"));
    assert.ok(!expandScopes(["read:org"]).has("admin:org"));
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
