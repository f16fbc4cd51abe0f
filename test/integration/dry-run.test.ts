// Dry runs answer what the real call would do, exactly, and change nothing; the real call then
// does exactly that.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { performRevocation } from "../../src/jobs/revocation-job.ts";
import { backends } from "../helpers/backends.ts";
import { bearer, startWorldApp, type TestApp } from "../helpers/world.ts";

async function snapshot(t: TestApp) {
  const [row] = await t.app.services.db.query<{ revocations: number; events: number; live: number; alive: number }>(
    `select (select count(*)::int from revocations) as revocations, (select count(*)::int from audit_events) as events,
            (select count(*)::int from credential_authorizations where revoked_at is null) as live,
            (select count(*)::int from credentials where destroyed_at is null) as alive`,
  );
  return row!;
}

for (const backend of backends()) {
  describe(`dry runs on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startWorldApp(backend)));
    after(() => t.close());

    async function dryRun(path: string, token: string, body?: unknown) {
      const response = await t.app.inject({
        method: "POST",
        url: `/_credauth/dry-run${path}`,
        headers: bearer(token),
        ...(body ? { payload: JSON.stringify(body) } : {}),
      });
      return { status: response.statusCode, body: response.json() };
    }

    // First: the revoke-all below destroys some of these tokens.
    it("refuses exactly what the real call refuses", async () => {
      assert.equal(
        (await dryRun("/enterprises/emu-corp/credential-authorizations/revoke-all", t.tokens.zedClassic)).status,
        404,
      );
      assert.equal(
        (await dryRun("/enterprises/emu-corp/credential-authorizations/revoke-all", t.tokens.melClassic)).status,
        403,
      );
      const nonEmu = await dryRun(
        "/enterprises/classic-corp/credential-authorizations/revoke-all",
        t.tokens.tedClassic,
        { revoke_credentials: true },
      );
      assert.equal(nonEmu.status, 422);
      assert.equal(
        (await dryRun("/enterprises/emu-corp/credential-authorizations/emu_admin/revoke", t.tokens.emuAdmin)).status,
        422,
      );
      assert.equal(
        (await dryRun("/orgs/classic-eng/credential-authorizations/revoke-credential-type", t.tokens.cleoClassic, {}))
          .status,
        422,
      );
    });

    it("previews an EMU revoke-all exactly, changes nothing, and the real call then does just that", async () => {
      const before = await snapshot(t);
      const preview = await dryRun("/enterprises/emu-corp/credential-authorizations/revoke-all", t.tokens.owenClassic, {
        revoke_credentials: true,
      });
      assert.equal(preview.status, 200);
      assert.deepEqual(preview.body, {
        dry_run: true,
        would_answer: {
          status: 202,
          message: "Credential authorization revocation has been queued",
          warning: "The token used for this request may also be revoked or destroyed as part of this operation",
        },
        authorizations_revoked: {
          classic_pat: 5,
          fine_grained_pat: 1,
          ssh_key: 2,
          oauth_app_token: 1,
          github_app_token: 1,
          total: 10,
        },
        credentials_destroyed: {
          classic_pat: 6,
          fine_grained_pat: 4,
          ssh_key: 2,
          oauth_app_token: 0,
          github_app_token: 0,
          total: 12,
        },
        affected_users: 7,
        caller_token: { authorization_revoked: true, destroyed: true },
      });
      assert.deepEqual(await snapshot(t), before, "a dry run changes nothing");
      assert.equal(
        (await t.app.inject({ method: "GET", url: "/user", headers: bearer(t.tokens.owenClassic) })).statusCode,
        200,
      );

      const real = await t.app.inject({
        method: "POST",
        url: "/enterprises/emu-corp/credential-authorizations/revoke-all",
        headers: bearer(t.tokens.owenClassic),
        payload: JSON.stringify({ revoke_credentials: true }),
      });
      assert.equal(real.statusCode, 202);
      assert.deepEqual(real.json(), {
        message: preview.body.would_answer.message,
        warning: preview.body.would_answer.warning,
      });
      const id = Number(/(\d+)$/.exec(String(real.headers.location))![1]);
      await performRevocation(t.app.services.db, id, 100);
      const job = await t.app.inject({
        method: "GET",
        url: `/_credauth/revocations/${id}`,
        headers: bearer(t.tokens.emuAdmin),
      });
      assert.deepEqual(job.json().counts, {
        authorizations_revoked: preview.body.authorizations_revoked,
        credentials_destroyed: preview.body.credentials_destroyed,
      });

      const after = await dryRun("/enterprises/emu-corp/credential-authorizations/revoke-all", t.tokens.emuAdmin, {
        revoke_credentials: true,
      });
      assert.equal(after.body.authorizations_revoked.total, 0, "nothing left to revoke");
      assert.equal(after.body.credentials_destroyed.total, 0);
      assert.equal(after.body.would_answer.warning, undefined);
    });

    it("previews the organization forms, narrowed to a user and a type", async () => {
      const user = await dryRun(
        "/orgs/classic-eng/credential-authorizations/cleo/revoke-credential-type",
        t.tokens.cleoClassic,
        { credential_type: "classic_pat" },
      );
      assert.equal(user.status, 200);
      assert.equal(user.body.authorizations_revoked.classic_pat, 2);
      assert.equal(user.body.authorizations_revoked.total, 2);
      assert.equal(user.body.credentials_destroyed.total, 0);
      assert.equal(user.body.affected_users, 1);
      assert.deepEqual(user.body.caller_token, { authorization_revoked: true, destroyed: false });
      assert.equal(
        user.body.would_answer.warning,
        "The token used for this request may also have its authorization revoked as part of this operation",
      );
    });
  });
}
