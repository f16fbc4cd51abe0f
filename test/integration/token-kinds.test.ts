// Which kinds of token may call what, as GitHub's documentation data lists it (domain/operations.ts):
// each operation is called with a token of every kind the test world holds, and the answer and the
// X-Accepted-* headers are checked against the table.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { backends } from "../helpers/backends.ts";
import { bearer, startWorldApp, type TestApp } from "../helpers/world.ts";

for (const backend of backends()) {
  describe(`token kinds per operation on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startWorldApp(backend)));
    after(() => t.close());

    const call = (method: "GET" | "POST" | "DELETE", url: string, token: string) =>
      t.app.inject({ method, url, headers: bearer(token) });

    it("lets an App installed on the enterprise revoke there, with no role, and read the enterprise audit log", async () => {
      const preview = await call(
        "POST",
        "/_credauth/dry-run/enterprises/emu-corp/credential-authorizations/revoke-all",
        t.tokens.emuInstallation,
      );
      assert.equal(preview.statusCode, 200);
      assert.equal(
        preview.json().caller_token.authorization_revoked,
        false,
        "an installation holds no SSO authorization",
      );
      const revoke = await call(
        "POST",
        "/enterprises/emu-corp/credential-authorizations/gwen_emu/revoke",
        t.tokens.emuInstallation,
      );
      assert.equal(revoke.statusCode, 202);
      assert.equal(revoke.headers["x-accepted-github-permissions"], "enterprise_credentials=write");
      assert.equal(revoke.headers["x-oauth-scopes"], undefined);
      const job = await call("GET", new URL(String(revoke.headers.location)).pathname, t.tokens.emuInstallation);
      assert.equal(job.statusCode, 200);
      assert.equal(job.json().requester.login, "emu-responder[bot]");
      const audit = await call("GET", "/enterprises/emu-corp/audit-log", t.tokens.emuInstallation);
      assert.equal(audit.statusCode, 200);
      assert.equal(audit.headers["x-accepted-github-permissions"], "enterprise_administration=read");
    });

    it("refuses an installation token on the authenticated user's endpoints: it is no user", async () => {
      const user = await call("GET", "/user", t.tokens.emuInstallation);
      assert.equal(user.statusCode, 403);
      assert.equal(user.json().message, "Resource not accessible by integration");
      assert.equal(user.headers["x-accepted-github-permissions"], "allows_permissionless_access=true");
    });

    it("keeps the organization bulk revokes to classic tokens and App installations", async () => {
      const path = "/orgs/classic-eng/credential-authorizations/revoke-credential-type";
      const fineGrained = await t.app.inject({
        method: "POST",
        url: path,
        headers: bearer(t.tokens.cleoFineGrained),
        payload: { credential_type: "ssh_key" },
      });
      assert.equal(fineGrained.statusCode, 403);
      assert.equal(fineGrained.json().message, "Resource not accessible by personal access token");
      assert.equal(fineGrained.headers["x-accepted-github-permissions"], "organization_administration=write");
      const installation = await t.app.inject({
        method: "POST",
        url: path,
        headers: bearer(t.tokens.classicEngInstallation),
        payload: { credential_type: "ssh_key" },
      });
      assert.equal(installation.statusCode, 202);
      // The same fine-grained PAT may list and remove single authorizations, as GitHub's data has it.
      assert.equal(
        (await call("GET", "/orgs/classic-eng/credential-authorizations", t.tokens.cleoFineGrained)).statusCode,
        200,
      );
      assert.equal(
        (await call("GET", "/orgs/classic-eng/credential-authorizations", t.tokens.classicEngInstallation)).statusCode,
        200,
      );
    });

    it("refuses fine-grained PATs on the enterprise audit log and lets them read the organization's", async () => {
      const enterprise = await call("GET", "/enterprises/emu-corp/audit-log", t.tokens.caraFineGrained);
      assert.equal(enterprise.statusCode, 403);
      assert.equal(enterprise.json().message, "Resource not accessible by personal access token");
      const organization = await call("GET", "/orgs/classic-eng/audit-log", t.tokens.cleoFineGrained);
      assert.equal(organization.statusCode, 200);
      assert.equal(organization.headers["x-accepted-github-permissions"], "organization_administration=read");
    });

    it("tells every token what the route accepts, in its own model's header", async () => {
      const classic = await call("GET", "/orgs/emu-eng", t.tokens.annClassic);
      assert.equal(classic.headers["x-accepted-oauth-scopes"], "");
      assert.equal(classic.headers["x-accepted-github-permissions"], undefined);
      const fineGrained = await call("GET", "/user", t.tokens.annFineGrained);
      assert.equal(fineGrained.statusCode, 200);
      assert.equal(fineGrained.headers["x-accepted-github-permissions"], "allows_permissionless_access=true");
      assert.equal(fineGrained.headers["x-accepted-oauth-scopes"], undefined);
    });
  });
}
