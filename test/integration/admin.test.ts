// The provisioning API on every backend: create and remove a world at run time, grant, and the
// rules that hold whatever the path (no re-grant after revocation, the first EMU owner stays).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { backends } from "../helpers/backends.ts";
import { bearer, startWorldApp, type TestApp } from "../helpers/world.ts";

const ADMIN_TOKEN = randomBytes(32).toString("hex");

for (const backend of backends()) {
  describe(`admin API on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startWorldApp(backend, { adminToken: ADMIN_TOKEN })));
    after(() => t.close());

    async function admin(method: "POST" | "PUT" | "DELETE", path: string, body?: unknown, token = ADMIN_TOKEN) {
      const response = await t.app.inject({
        method,
        url: `/_credauth/admin${path}`,
        headers: token ? bearer(token) : {},
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      return { status: response.statusCode, body: response.body ? response.json() : undefined };
    }
    const status = async (url: string, token: string) =>
      (await t.app.inject({ method: "GET", url, headers: bearer(token) })).statusCode;

    it("needs the configured site-admin token", async () => {
      assert.equal((await admin("POST", "/users", { login: "x" }, "")).status, 401);
      const wrong = await admin("POST", "/users", { login: "x" }, "y".repeat(64));
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.message, "Bad credentials");
      assert.equal(
        (await admin("POST", "/users", { login: "x" }, t.tokens.owenClassic)).status,
        401,
        "a GitHub token is not a site-admin token",
      );
    });

    it("creates a world piece by piece, returns generated tokens once, and grants", async () => {
      const enterprise = await admin("POST", "/enterprises", {
        slug: "rt",
        name: "Run Time",
        emu: true,
        owners: ["rt_admin"],
      });
      assert.equal(enterprise.status, 201);
      assert.equal(enterprise.body.created.enterprises, 1);
      assert.equal(
        (await admin("POST", "/enterprises/rt/organizations", { login: "rt-eng", owners: ["rt_owner"] })).status,
        201,
      );
      assert.equal((await admin("PUT", "/organizations/rt-eng/members/rt_dev")).status, 204);
      assert.equal((await admin("PUT", "/enterprises/rt/credential_managers/rt_owner")).status, 204);

      const owner = await admin("POST", "/users/rt_owner/credentials", {
        type: "classic_pat",
        scopes: ["admin:org", "read:audit_log"],
        note: "owner",
      });
      assert.equal(owner.status, 201);
      assert.match(owner.body.token, /^ghp_[A-Za-z0-9]{36}$/);
      const dev = await admin("POST", "/users/rt_dev/credentials", {
        type: "oauth_app_token",
        scopes: ["repo"],
        note: "cli",
      });
      assert.match(dev.body.token, /^gho_/);
      assert.equal(
        (await admin("POST", "/users/rt_dev/credentials", { type: "oauth_app_token", note: "cli" })).status,
        422,
        "the same generated credential twice",
      );

      const granted = await admin("POST", `/credentials/${owner.body.id}/authorizations`, { organization: "rt-eng" });
      assert.equal(granted.status, 201);
      assert.equal(
        (await admin("POST", `/credentials/${owner.body.id}/authorizations`, { organization: "rt-eng" })).status,
        200,
        "granting twice is harmless",
      );
      const devGrant = await admin("POST", `/credentials/${dev.body.id}/authorizations`, { organization: "rt-eng" });
      assert.equal(devGrant.status, 201);
      assert.equal(await status("/orgs/rt-eng", dev.body.token), 200);

      const list = await t.app.inject({
        method: "GET",
        url: "/orgs/rt-eng/credential-authorizations",
        headers: bearer(owner.body.token),
      });
      assert.deepEqual(
        list
          .json()
          .map((a: { login: string }) => a.login)
          .sort(),
        ["rt_dev", "rt_owner"],
      );

      // Revoked once, never granted again.
      const removed = await t.app.inject({
        method: "DELETE",
        url: `/orgs/rt-eng/credential-authorizations/${devGrant.body.credential_id}`,
        headers: bearer(owner.body.token),
      });
      assert.equal(removed.statusCode, 204);
      const regrant = await admin("POST", `/credentials/${dev.body.id}/authorizations`, { organization: "rt-eng" });
      assert.equal(regrant.status, 422);
      assert.match(regrant.body.message, /cannot be granted again/);
      assert.equal(await status("/orgs/rt-eng", dev.body.token), 403);
    });

    it("explains bad bodies against the body's own paths", async () => {
      const bad = await admin("POST", "/users/rt_dev/credentials", { type: "password" });
      assert.equal(bad.status, 422);
      assert.match(bad.body.message, /^Invalid request\.\n\nFor 'properties\/type', must be one of classic_pat/);
      const token = await admin("POST", "/users/rt_dev/credentials", { type: "classic_pat", token: "ghp_short" });
      assert.match(token.body.message, /For 'properties\/token', is not a well-formed classic_pat token/);
      assert.equal((await admin("POST", "/enterprises", [])).status, 400);
      assert.equal((await admin("POST", "/credentials/1/authorizations", { organization: 7 })).status, 422);
      assert.equal((await admin("PUT", "/enterprises/rt/kings/rt_dev")).status, 404);
      assert.equal((await admin("POST", "/users/nobody_at_all/credentials", { type: "classic_pat" })).status, 404);
    });

    it("removes credentials, roles, users, organizations and enterprises", async () => {
      const made = await admin("POST", "/users", {
        login: "temp_user",
        credentials: [{ type: "classic_pat", note: "temp" }],
      });
      const [credential] = made.body.credentials;
      assert.equal(await status("/user", credential.token), 200);
      assert.equal((await admin("DELETE", `/credentials/${credential.id}`)).status, 204);
      assert.equal(await status("/user", credential.token), 401);
      assert.equal((await admin("DELETE", `/credentials/${credential.id}`)).status, 404);

      assert.equal((await admin("DELETE", "/organizations/rt-eng/members/rt_dev")).status, 204);
      assert.equal((await admin("DELETE", "/organizations/rt-eng/members/rt_dev")).status, 404);
      assert.equal((await admin("DELETE", "/enterprises/rt/credential_managers/rt_owner")).status, 204);
      assert.equal((await admin("DELETE", "/users/temp_user")).status, 204);
      assert.equal((await admin("DELETE", "/users/temp_user")).status, 404);
      const firstOwner = await admin("DELETE", "/users/rt_admin");
      assert.equal(firstOwner.status, 422);

      // An organization with history goes with its authorizations and revocations.
      const revoke = await t.app.inject({
        method: "POST",
        url: "/orgs/classic-eng/credential-authorizations/pat/revoke",
        headers: bearer(t.tokens.cleoClassic),
      });
      assert.equal(revoke.statusCode, 202);
      assert.equal((await admin("DELETE", "/organizations/classic-eng")).status, 204);
      assert.equal(await status("/orgs/classic-eng", t.tokens.sharedClassic), 404);
      assert.equal(await status("/orgs/other-eng", t.tokens.sharedClassic), 200);

      assert.equal((await admin("DELETE", "/enterprises/rt")).status, 204);
      assert.equal(await status("/orgs/rt-eng", t.tokens.zedClassic), 404);
      assert.equal((await admin("DELETE", "/enterprises/rt")).status, 404);
      // An EMU enterprise takes its managed users with it; emu-corp has revocation history too.
      const emu = await t.app.inject({
        method: "POST",
        url: "/enterprises/emu-corp/credential-authorizations/revoke-all",
        headers: bearer(t.tokens.owenClassic),
      });
      assert.equal(emu.statusCode, 202);
      assert.equal((await admin("DELETE", "/enterprises/emu-corp")).status, 204);
      assert.equal(await status("/user", t.tokens.emuAdmin), 401);
      assert.equal(await status("/user", t.tokens.tedClassic), 200);
    });
  });
}

describe("admin API without a configured token", () => {
  it("does not exist", async () => {
    const [backend] = backends();
    const t = await startWorldApp(backend!);
    try {
      const response = await t.app.inject({
        method: "POST",
        url: "/_credauth/admin/users",
        headers: bearer(t.tokens.owenClassic),
        payload: "{}",
      });
      assert.equal(response.statusCode, 404);
    } finally {
      await t.close();
    }
  });
});
