// POST /credentials/revoke: leaked credentials revoked by their value, anonymously, 202 whatever
// they were; each live one destroyed at once, audited, its owner's notification recorded.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { generateToken } from "../../src/domain/tokens.ts";
import { backends } from "../helpers/backends.ts";
import { assertMatchesContract } from "../helpers/contract.ts";
import { bearer, startWorldApp, type TestApp, worldDigest } from "../helpers/world.ts";

const sha256 = (token: string) => createHash("sha256").update(token).digest("base64");

for (const backend of backends()) {
  describe(`POST /credentials/revoke on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startWorldApp(backend, { rateLimit: "github" })));
    after(() => t.close());

    const revoke = async (body: unknown, headers: Record<string, string> = {}) => {
      const response = await t.app.inject({
        method: "POST",
        url: "/credentials/revoke",
        headers: { "content-type": "application/json", ...headers },
        payload: JSON.stringify(body),
      });
      assertMatchesContract("POST", "/credentials/revoke", response, [400, 403]);
      return response;
    };
    const status = async (token: string) =>
      (await t.app.inject({ method: "GET", url: "/user", headers: bearer(token) })).statusCode;

    it("destroys the live tokens among the values, answers 202 whatever they were, and audits each", async () => {
      const unknown = generateToken("classic_pat");
      const r = await revoke({
        credentials: [t.tokens.annSpare, t.tokens.patOAuth, unknown, "not a token at all", t.tokens.emuInstallation],
      });
      assert.equal(r.statusCode, 202);
      assert.deepEqual(r.json(), {});
      assert.equal(await status(t.tokens.annSpare), 401);
      assert.equal(await status(t.tokens.patOAuth), 401);
      assert.equal(
        (await t.app.inject({ method: "GET", url: "/orgs/emu-eng", headers: bearer(t.tokens.emuInstallation) }))
          .statusCode,
        200,
        "an App installation token is not among the types GitHub takes here",
      );
      const events = await t.app.services.db.query<{
        action: string;
        actor_login: string | null;
        user_login: string;
        business_slug: string | null;
        data: Record<string, unknown>;
      }>(
        "select action, actor_login, user_login, business_slug, data from audit_events where revocation_id is null and actor_login is null order by id",
      );
      assert.deepEqual(
        events.map((e) => [e.action, e.actor_login, e.user_login, e.business_slug]),
        [
          ["personal_access_token.destroy", null, "ann_emu", "emu-corp"],
          ["oauth_access.destroy", null, "pat", null],
        ],
      );
      assert.equal(events[0]!.data.managed_hashed_token, sha256(t.tokens.annSpare));
      assert.equal(events[0]!.data.hashed_token, undefined, "no token made the request");
    });

    it("records a notification for each owner, listing what was revoked", async () => {
      const notifications = await t.app.services.db.query<{ kind: string; recipient_login: string; payload: unknown }>(
        "select kind, recipient_login, payload from notifications order by id",
      );
      assert.deepEqual(notifications, [
        {
          kind: "credentials_revoked",
          recipient_login: "ann_emu",
          payload: {
            reason: "reported",
            credentials: [
              { credential_type: "classic_pat", token_last_eight: t.tokens.annSpare.slice(-8), note: "spare" },
            ],
          },
        },
        {
          kind: "credentials_revoked",
          recipient_login: "pat",
          payload: {
            reason: "reported",
            credentials: [
              { credential_type: "oauth_app_token", token_last_eight: t.tokens.patOAuth.slice(-8), note: null },
            ],
          },
        },
      ]);
    });

    it("changes nothing for values already revoked, and tells the caller nothing either", async () => {
      const before = await worldDigest(t.app.services.db);
      const r = await revoke({ credentials: [t.tokens.annSpare] });
      assert.equal(r.statusCode, 202);
      assert.deepEqual(r.json(), {});
      assert.equal(await worldDigest(t.app.services.db), before);
    });

    it("refuses authenticated requests with 403, as GitHub documents", async () => {
      const r = await revoke({ credentials: [t.tokens.gwenClassic] }, bearer(t.tokens.owenClassic));
      assert.equal(r.statusCode, 403);
      assert.equal(await status(t.tokens.gwenClassic), 200);
    });

    it("refuses bodies GitHub's schema refuses, without echoing a value", async () => {
      const secret = generateToken("classic_pat");
      for (const body of [
        {},
        { credentials: [] },
        { credentials: "ghp_x" },
        { credentials: [secret, 42] },
        { credentials: Array.from({ length: 1001 }, () => "x") },
      ]) {
        const r = await revoke(body);
        assert.equal(r.statusCode, 422, JSON.stringify(body).slice(0, 60));
        assert.ok(!r.body.includes(secret));
      }
    });

    it("previews under the dry-run prefix, saying nothing of the values and changing nothing", async () => {
      const before = await worldDigest(t.app.services.db);
      const r = await t.app.inject({
        method: "POST",
        url: "/_credauth/dry-run/credentials/revoke",
        payload: { credentials: [t.tokens.gwenClassic, "unknown"] },
      });
      assert.equal(r.statusCode, 200);
      assert.deepEqual(r.json(), { dry_run: true, would_answer: { status: 202 }, credentials_submitted: 2 });
      assert.equal(await worldDigest(t.app.services.db), before);
      assert.equal(await status(t.tokens.gwenClassic), 200);
    });

    it("counts against its own limit of 60 requests an hour per address", async () => {
      let last = await revoke({ credentials: ["x"] }, { "x-forwarded-for": "ignored" });
      assert.equal(last.headers["x-ratelimit-resource"], "credentials_revoke");
      assert.equal(last.headers["x-ratelimit-limit"], "60");
      for (let i = 0; i < 60 && last.statusCode !== 403; i++) last = await revoke({ credentials: ["x"] });
      assert.equal(last.statusCode, 403);
      assert.match(last.json().message, /^API rate limit exceeded for/);
    });
  });
}
