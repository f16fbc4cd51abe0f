// Both audit-log operations on every backend: GitHub's event shape, phrase search, ordering and
// cursor pagination, each response checked against the contract.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { performRevocation } from "../../src/jobs/revocation-job.ts";
import { backends } from "../helpers/backends.ts";
import { assertMatchesContract } from "../helpers/contract.ts";
import { bearer, startWorldApp, type TestApp } from "../helpers/world.ts";

type AuditEvent = Record<string, unknown> & { action: string; _document_id: string; "@timestamp": number };

const sha256 = (token: string) => createHash("sha256").update(token).digest("base64");

for (const backend of backends()) {
  describe(`audit log on ${backend.name}`, () => {
    let t: TestApp;
    let patAuthorizationId: number;

    async function read(
      spec: "/enterprises/{enterprise}/audit-log" | "/orgs/{org}/audit-log",
      owner: string,
      token: string,
      query = "",
    ) {
      const url = spec.replace("{enterprise}", owner).replace("{org}", owner) + query;
      const response = await t.app.inject({ method: "GET", url, headers: bearer(token) });
      assertMatchesContract("GET", spec, response, [403, 404, 422]);
      return {
        status: response.statusCode,
        events: response.json() as AuditEvent[],
        body: response.json(),
        link: response.headers.link as string | undefined,
      };
    }

    before(async () => {
      t = await startWorldApp(backend);
      const list = await t.app.inject({
        method: "GET",
        url: "/orgs/classic-eng/credential-authorizations?login=pat",
        headers: bearer(t.tokens.cleoClassic),
      });
      patAuthorizationId = list.json()[0].credential_id;
      assert.equal(
        (
          await t.app.inject({
            method: "DELETE",
            url: `/orgs/classic-eng/credential-authorizations/${patAuthorizationId}`,
            headers: bearer(t.tokens.cleoClassic),
          })
        ).statusCode,
        204,
      );
      const revoke = await t.app.inject({
        method: "POST",
        url: "/enterprises/classic-corp/credential-authorizations/shared_user/revoke",
        headers: bearer(t.tokens.tedClassic),
      });
      await performRevocation(t.app.services.db, Number(/(\d+)$/.exec(String(revoke.headers.location))![1]), 10);
    });
    after(() => t.close());

    it("shows an enterprise's events newest first, in GitHub's shape, with the requester's token fields", async () => {
      const r = await read("/enterprises/{enterprise}/audit-log", "classic-corp", t.tokens.tedClassic, "?per_page=100");
      assert.equal(r.status, 200);
      const timestamps = r.events.map((e) => e["@timestamp"]);
      assert.deepEqual(
        timestamps,
        [...timestamps].sort((a, b) => b - a),
      );
      assert.ok(
        r.events.every((e) => e.business === "classic-corp"),
        "only this enterprise's events",
      );
      assert.equal(new Set(r.events.map((e) => e._document_id)).size, r.events.length);
      const byTed = r.events.filter((e) => e.actor === "ted");
      assert.deepEqual(byTed.map((e) => e.action).sort(), [
        "org_credential_authorization.deauthorize",
        "org_credential_authorization.revoke",
      ]);
      const revoke = byTed.find((e) => e.action === "org_credential_authorization.revoke")!;
      assert.equal(revoke.user, "shared_user");
      assert.equal(revoke.owner, "shared_user");
      assert.equal(revoke.org, "classic-eng");
      assert.equal(revoke.operation_type, "remove");
      // token_* describe the token that made the request: ted's.
      assert.equal(revoke.hashed_token, sha256(t.tokens.tedClassic));
      assert.equal(revoke.token_scopes, "admin:enterprise,read:audit_log");
      assert.equal(revoke.programmatic_access_type, "Personal access token (classic)");
      assert.equal(typeof revoke.token_id, "number");
      // The revoked credential goes under managed_*.
      assert.equal(revoke.managed_hashed_token, sha256(t.tokens.sharedClassic));
      assert.equal(revoke.managed_token_last_eight, t.tokens.sharedClassic.slice(-8));
      assert.equal(revoke.managed_token_scopes, "repo");
      assert.equal(revoke.managed_credential_type, "Personal access token (classic)");
      assert.equal(byTed.find((e) => e.action.endsWith(".deauthorize"))!.operation_type, "modify");
      const grants = r.events.filter((e) => e.action === "org_credential_authorization.grant");
      assert.equal(grants.length, 5, "one grant event per authorization in classic-corp");
      assert.equal(
        r.events.length,
        9,
        "5 grants, and revoke and deauthorize for the DELETE and the enterprise revocation",
      );
    });

    it("follows one credential from grant to revocation", async () => {
      const r = await read("/orgs/{org}/audit-log", "classic-eng", t.tokens.cleoClassic, "?phrase=user:pat&order=asc");
      assert.deepEqual(
        r.events.map((e) => [e.action, e.actor, e.authorization_id]),
        [
          ["org_credential_authorization.grant", "pat", patAuthorizationId],
          ["org_credential_authorization.revoke", "cleo", patAuthorizationId],
          ["org_credential_authorization.deauthorize", "cleo", patAuthorizationId],
        ],
      );
      // The DELETE's events carry the token cleo made it with.
      assert.equal(r.events[1]!.hashed_token, sha256(t.tokens.cleoClassic));
    });

    it("filters with action:, actor:, user:, org:, negation and created: ranges", async () => {
      const q = async (phrase: string) =>
        (
          await read(
            "/enterprises/{enterprise}/audit-log",
            "classic-corp",
            t.tokens.tedClassic,
            `?per_page=100&phrase=${encodeURIComponent(phrase)}`,
          )
        ).events;
      assert.ok(
        (await q("action:org_credential_authorization.revoke")).every(
          (e) => e.action === "org_credential_authorization.revoke",
        ),
      );
      assert.equal((await q("action:org_credential_authorization")).length, 9, "a category matches all its actions");
      assert.deepEqual([...new Set((await q("actor:CLEO")).map((e) => e.action))].sort(), [
        "org_credential_authorization.deauthorize",
        "org_credential_authorization.grant",
        "org_credential_authorization.revoke",
      ]);
      assert.equal((await q("user:shared_user")).length, 3);
      assert.equal((await q("org:classic-eng -action:org_credential_authorization.grant")).length, 4);
      const today = new Date().toISOString().slice(0, 10);
      assert.equal((await q(`created:>=${today}`)).length, 9);
      assert.equal((await q(`created:${today}`)).length, 9);
      assert.equal((await q("created:<2000-01-01")).length, 0);
      assert.equal((await q("created:2000-01-01..*")).length, 9);
      for (const bad of ["colour:red", "created:yesterday", "action:", "actor_id:ted", "operation:explode"]) {
        const r = await read(
          "/enterprises/{enterprise}/audit-log",
          "classic-corp",
          t.tokens.tedClassic,
          `?phrase=${encodeURIComponent(bad)}`,
        );
        assert.equal(r.status, 422, bad);
      }
    });

    it("filters by every qualifier GitHub documents for these events, and their combinations", async () => {
      const q = async (phrase: string) =>
        (
          await read(
            "/enterprises/{enterprise}/audit-log",
            "classic-corp",
            t.tokens.tedClassic,
            `?per_page=100&phrase=${encodeURIComponent(phrase)}`,
          )
        ).events;
      const all = await q("");
      const ted = all.find((e) => e.actor === "ted")!;
      const revokedByTed = all.filter((e) => e.actor === "ted");
      // What a leaked token did: GitHub's documented way, with and without the Base64 padding.
      assert.deepEqual(
        (await q(`hashed_token:"${sha256(t.tokens.tedClassic)}"`)).map((e) => e._document_id),
        revokedByTed.map((e) => e._document_id),
      );
      assert.equal((await q(`hashed_token:"${sha256(t.tokens.tedClassic).replace(/=+$/, "")}"`)).length, 2);
      assert.equal((await q(`token_id:${ted.token_id}`)).length, 2);
      assert.equal((await q(`actor_id:${ted.actor_id}`)).length, 2);
      assert.equal((await q(`user_id:${ted.user_id}`)).length, 3, "shared_user's grant, revoke and deauthorize");
      assert.equal((await q(`org_id:${ted.org_id}`)).length, all.filter((e) => e.org === "classic-eng").length);
      assert.equal((await q("business:classic-corp")).length, 9);
      assert.equal((await q(`business_id:${ted.business_id}`)).length, 9);
      assert.equal((await q("business:other-corp")).length, 0);
      assert.equal((await q("operation:create")).length, 5, "the grants");
      assert.equal((await q("operation:remove")).length, 2, "the two revokes");
      assert.equal((await q("operation:modify")).length, 2, "the two deauthorizations");
      assert.equal((await q("-operation:create")).length, 4);
      // A qualifier given twice matches either value; different qualifiers must all match.
      assert.equal(
        (await q("actor:ted actor:cleo")).length,
        4 + all.filter((e) => e.actor === "cleo" && e.action.endsWith(".grant")).length,
      );
      assert.equal((await q("actor:ted action:org_credential_authorization.revoke")).length, 1);
      assert.equal((await q("actor:ted -action:org_credential_authorization.revoke")).length, 1);
      // Documented qualifiers of fields these events do not carry match nothing, and all when negated.
      assert.equal((await q("repo:classic-corp/app")).length, 0);
      assert.equal((await q("-country:de")).length, 9);
    });

    it("pages with after/before cursors and a Link header, in both orders", async () => {
      for (const order of ["desc", "asc"]) {
        const all = (
          await read(
            "/enterprises/{enterprise}/audit-log",
            "classic-corp",
            t.tokens.tedClassic,
            `?per_page=100&order=${order}`,
          )
        ).events.map((e) => e._document_id);
        const seen: string[] = [];
        let query = `?per_page=3&order=${order}`;
        for (let i = 0; i < 10; i++) {
          const page = await read("/enterprises/{enterprise}/audit-log", "classic-corp", t.tokens.tedClassic, query);
          seen.push(...page.events.map((e) => e._document_id));
          const next = /<([^>]+)>; rel="next"/.exec(page.link ?? "");
          if (i > 0) {
            const prev = /<([^>]+)>; rel="prev"/.exec(page.link ?? "");
            assert.ok(prev, "a later page links back");
            const back = await read(
              "/enterprises/{enterprise}/audit-log",
              "classic-corp",
              t.tokens.tedClassic,
              new URL(prev[1]!).search,
            );
            assert.deepEqual(
              back.events.map((e) => e._document_id),
              seen.slice(seen.length - page.events.length - back.events.length, seen.length - page.events.length),
            );
          }
          if (!next) break;
          assert.match(next[1]!, /after=/);
          query = new URL(next[1]!).search;
        }
        assert.deepEqual(seen, all, `${order}: the pages together are the whole log, once`);
      }
      const bad = await read(
        "/enterprises/{enterprise}/audit-log",
        "classic-corp",
        t.tokens.tedClassic,
        "?after=not-a-cursor",
      );
      assert.equal(bad.status, 422);
    });

    it("is for owners with read:audit_log only", async () => {
      assert.equal((await read("/enterprises/{enterprise}/audit-log", "emu-corp", t.tokens.zedClassic)).status, 404);
      const scope = await read("/enterprises/{enterprise}/audit-log", "emu-corp", t.tokens.owenClassic);
      assert.equal(scope.status, 403);
      assert.match(scope.body.message, /'read:audit_log' scope is required/);
      const permission = await read("/enterprises/{enterprise}/audit-log", "emu-corp", t.tokens.caraFineGrained);
      assert.equal(permission.status, 403);
      assert.equal(permission.body.message, "Resource not accessible by personal access token");
      assert.equal(
        (await read("/orgs/{org}/audit-log", "classic-eng", t.tokens.tedClassic)).status,
        404,
        "an enterprise owner outside the organization",
      );
      assert.equal((await read("/orgs/{org}/audit-log", "emu-eng", t.tokens.annClassic)).status, 403);
      const org = await read("/orgs/{org}/audit-log", "classic-eng", t.tokens.cleoClassic, "?per_page=100");
      assert.ok(org.events.length > 0 && org.events.every((e) => e.org === "classic-eng"));
      assert.equal(
        (await read("/orgs/{org}/audit-log", "classic-eng", t.tokens.cleoClassic, "?include=git")).events.length,
        0,
      );
    });
  });
}
