// The read endpoints incident-response scripts call before they revoke: GET /user/orgs,
// GET /orgs/{org}/members and GET /user/keys, each answer checked against the contract, with the
// same authorization, hidden-existence and SAML rules as the rest.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { performRevocation } from "../../src/jobs/revocation-job.ts";
import { backends } from "../helpers/backends.ts";
import { assertMatchesContract } from "../helpers/contract.ts";
import { bearer, SSH_KEYS, startWorldApp, type TestApp } from "../helpers/world.ts";

for (const backend of backends()) {
  describe(`neighbouring read endpoints on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startWorldApp(backend)));
    after(() => t.close());

    async function get(specPath: string, url: string, token: string | null, undeclared: number[] = []) {
      const response = await t.app.inject({ method: "GET", url, headers: token ? bearer(token) : {} });
      assertMatchesContract("GET", specPath, response, undeclared);
      return { status: response.statusCode, body: response.json(), headers: response.headers };
    }
    const logins = (body: { login: string }[]) => body.map((entry) => entry.login);

    describe("GET /user/orgs", () => {
      it("lists the organizations the user is a member of and the token has passed SAML SSO for", async () => {
        // ann is a member of emu-eng and emu-ops (SSO, both authorized) and emu-open (no SSO).
        const r = await get("/user/orgs", "/user/orgs", t.tokens.annClassic);
        assert.equal(r.status, 200);
        assert.deepEqual(logins(r.body), ["emu-eng", "emu-ops", "emu-open"]);
        assert.equal(r.headers["x-github-sso"], undefined);
      });

      it("leaves out the SSO organizations the token is not authorized for, and names them", async () => {
        // cleo's token without authorization is an owner of classic-eng, which enforces SSO.
        const r = await get("/user/orgs", "/user/orgs", t.tokens.cleoUnauthorized);
        assert.equal(r.status, 200);
        assert.deepEqual(r.body, []);
        const [org] = await t.app.services.db.query<{ id: number }>(
          "select id from organizations where login = 'classic-eng'",
        );
        assert.equal(r.headers["x-github-sso"], `partial-results; organizations=${org!.id}`);
      });

      it("pages with a Link header", async () => {
        const r = await get("/user/orgs", "/user/orgs?per_page=2", t.tokens.annClassic);
        assert.deepEqual(logins(r.body), ["emu-eng", "emu-ops"]);
        assert.match(String(r.headers.link), /page=2>; rel="next"/);
      });

      it("needs user or read:org on classic tokens, and gives fine-grained tokens an empty list", async () => {
        const refused = await get("/user/orgs", "/user/orgs", t.tokens.annSpare);
        assert.equal(refused.status, 403);
        assert.equal(refused.headers["x-accepted-oauth-scopes"], "user, read:org");
        const fineGrained = await get("/user/orgs", "/user/orgs", t.tokens.annFineGrained);
        assert.equal(fineGrained.status, 200);
        assert.deepEqual(fineGrained.body, []);
        assert.equal((await get("/user/orgs", "/user/orgs", null)).status, 401);
        assert.equal((await get("/user/orgs", "/user/orgs", t.tokens.emuInstallation)).status, 403);
      });
    });

    describe("GET /orgs/{org}/members", () => {
      const members = (org: string, query = "") => `/orgs/${org}/members${query}`;
      const SPEC = "/orgs/{org}/members";

      it("shows a member every owner and member, but no outside collaborator", async () => {
        const r = await get(SPEC, members("emu-eng"), t.tokens.annClassic);
        assert.equal(r.status, 200);
        assert.deepEqual(logins(r.body).sort(), ["ann_emu", "emu_admin", "gwen_emu", "mel_emu", "owen_emu"]);
      });

      it("narrows by role: admin for owners, member for the others", async () => {
        const admins = await get(SPEC, members("emu-eng", "?role=admin"), t.tokens.annClassic);
        assert.deepEqual(logins(admins.body).sort(), ["emu_admin", "owen_emu"]);
        const plain = await get(SPEC, members("emu-eng", "?role=member"), t.tokens.annClassic);
        assert.deepEqual(logins(plain.body).sort(), ["ann_emu", "gwen_emu", "mel_emu"]);
        assert.equal((await get(SPEC, members("emu-eng", "?role=boss"), t.tokens.annClassic)).status, 422);
      });

      it("shows outsiders and a member's token without read:org the public members: none", async () => {
        for (const token of [t.tokens.zedClassic, null, t.tokens.gwenClassic]) {
          const r = await get(SPEC, members("emu-eng"), token);
          assert.equal(r.status, 200);
          assert.deepEqual(r.body, []);
        }
      });

      it("keeps the two-factor filters to owners", async () => {
        const owner = await get(SPEC, members("classic-eng", "?filter=2fa_disabled"), t.tokens.cleoClassic);
        assert.equal(owner.status, 200);
        assert.deepEqual(owner.body, [], "every account credauth knows has two-factor authentication");
        const member = await get(SPEC, members("emu-eng", "?filter=2fa_insecure"), t.tokens.annClassic);
        assert.equal(member.status, 422);
        assert.equal(member.body.message, "Only owners can use this filter.");
      });

      it("lets an App installed on the organization list its members", async () => {
        const r = await get(SPEC, members("classic-eng"), t.tokens.classicEngInstallation);
        assert.equal(r.status, 200);
        assert.deepEqual(logins(r.body).sort(), ["cleo", "pat", "shared_user"]);
      });

      it("applies SAML SSO to the organization's own people, and 404 to unknown organizations", async () => {
        const r = await get(SPEC, members("classic-eng"), t.tokens.cleoUnauthorized, [403]);
        assert.equal(r.status, 403);
        assert.match(String(r.headers["x-github-sso"]), /^required; url=/);
        assert.equal((await get(SPEC, members("no-such-org"), t.tokens.annClassic, [404])).status, 404);
      });
    });

    describe("GET /user/keys", () => {
      it("lists the user's live SSH keys without their comment, and needs read:public_key", async () => {
        const refused = await get("/user/keys", "/user/keys", t.tokens.annClassic);
        assert.equal(refused.status, 403);
        assert.equal(refused.headers["x-accepted-oauth-scopes"], "read:public_key");

        // A fixture gives ann a token that may read her keys.
        const { generateToken } = await import("../../src/domain/tokens.ts");
        const { parseFixture } = await import("../../src/domain/fixture.ts");
        const { applyFixture } = await import("../../src/store/seed.ts");
        const reader = generateToken("classic_pat");
        await applyFixture(
          t.app.services.db,
          parseFixture(
            JSON.stringify({
              users: [
                {
                  login: "ann_emu",
                  credentials: [{ type: "classic_pat", token: reader, scopes: ["read:public_key"] }],
                },
              ],
            }),
            "reader.json",
          ),
        );
        const r = await get("/user/keys", "/user/keys", reader);
        assert.equal(r.status, 200);
        assert.equal(r.body.length, 1);
        assert.equal(r.body[0].key, SSH_KEYS.ann.split(" ").slice(0, 2).join(" "));
        assert.equal(r.body[0].title, "laptop");
        assert.match(r.body[0].url, /\/user\/keys\/\d+$/);

        // Destroyed by a revocation, the key is gone from the list from the 202 on.
        const revoke = await t.app.inject({
          method: "POST",
          url: "/enterprises/emu-corp/credential-authorizations/ann_emu/revoke-credential-type",
          headers: bearer(t.tokens.owenClassic),
          payload: { credential_type: "ssh_key", revoke_credentials: true },
        });
        assert.equal(revoke.statusCode, 202);
        assert.deepEqual((await get("/user/keys", "/user/keys", reader)).body, []);
        await performRevocation(t.app.services.db, Number(/(\d+)$/.exec(String(revoke.headers.location))![1]), 10);
        assert.deepEqual((await get("/user/keys", "/user/keys", reader)).body, []);
      });
    });
  });
}
