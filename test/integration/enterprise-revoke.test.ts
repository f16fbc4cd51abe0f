// The four enterprise endpoints on every backend: every refusal GitHub documents, every success,
// containment before the job runs, what the job materializes, and each response against the contract.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { parseFixture } from "../../src/domain/fixture.ts";
import { generateToken } from "../../src/domain/tokens.ts";
import { performRevocation } from "../../src/jobs/revocation-job.ts";
import { applyFixture } from "../../src/store/seed.ts";
import { backends } from "../helpers/backends.ts";
import { assertMatchesContract } from "../helpers/contract.ts";
import { bearer, startWorldApp, type TestApp } from "../helpers/world.ts";

const P = {
  all: "/enterprises/{enterprise}/credential-authorizations/revoke-all",
  type: "/enterprises/{enterprise}/credential-authorizations/revoke-credential-type",
  user: "/enterprises/{enterprise}/credential-authorizations/{username}/revoke",
  userType: "/enterprises/{enterprise}/credential-authorizations/{username}/revoke-credential-type",
} as const;

function urlOf(specPath: string, params: { enterprise: string; username?: string }): string {
  return specPath.replace("{enterprise}", params.enterprise).replace("{username}", params.username ?? "");
}

async function post(
  t: TestApp,
  specPath: string,
  params: { enterprise: string; username?: string },
  token: string | null,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await t.app.inject({
    method: "POST",
    url: urlOf(specPath, params),
    headers: {
      ...(token ? bearer(token) : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    ...(body === undefined ? {} : { payload: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  assertMatchesContract("POST", specPath, response);
  return { status: response.statusCode, body: response.json(), headers: response.headers };
}

async function get(t: TestApp, url: string, token: string | null) {
  const response = await t.app.inject({ method: "GET", url, headers: token ? bearer(token) : {} });
  // GitHub's own endpoints are held to the contract too; the SAML 403 is not declared for
  // GET /orgs/{org}, so it is checked against basic-error.
  if (url === "/user") assertMatchesContract("GET", "/user", response);
  if (url.startsWith("/orgs/")) assertMatchesContract("GET", "/orgs/{org}", response, [403]);
  return { status: response.statusCode, body: response.json(), headers: response.headers, raw: response };
}

async function revocationCount(t: TestApp): Promise<number> {
  const [row] = await t.app.services.db.query<{ count: number }>("select count(*)::int as count from revocations");
  return row!.count;
}

async function auditCounts(t: TestApp, revocationId: number): Promise<Record<string, number>> {
  const rows = await t.app.services.db.query<{ action: string; count: number }>(
    "select action, count(*)::int as count from audit_events where revocation_id = $1 group by action",
    [revocationId],
  );
  return Object.fromEntries(rows.map((r) => [r.action, r.count]));
}

function idFromLocation(location: unknown): number {
  const match = /\/_credauth\/revocations\/(\d+)$/.exec(String(location));
  assert.ok(match, `Location ${String(location)} points at a revocation`);
  return Number(match[1]);
}

for (const backend of backends()) {
  describe(`enterprise credential-authorization endpoints on ${backend.name}`, () => {
    describe("refusals change nothing and follow GitHub", () => {
      let t: TestApp;
      before(async () => (t = await startWorldApp(backend)));
      after(() => t.close());

      it("answers 401 Requires authentication without a token, on all four paths", async () => {
        for (const path of Object.values(P)) {
          const r = await post(t, path, { enterprise: "emu-corp", username: "ann_emu" }, null, {
            credential_type: "ssh_key",
          });
          assert.equal(r.status, 401);
          assert.equal(r.body.message, "Requires authentication");
          assert.equal(r.body.status, "401");
        }
      });

      it("answers 401 Bad credentials for unknown, malformed and expired tokens", async () => {
        for (const token of [generateToken("classic_pat"), "not-a-token", t.tokens.expired]) {
          const r = await post(t, P.all, { enterprise: "emu-corp" }, token);
          assert.equal(r.status, 401);
          assert.equal(r.body.message, "Bad credentials");
          assert.equal(r.body.documentation_url, "https://docs.github.com/rest");
        }
      });

      it("hides enterprises from outsiders and unknown slugs with 404", async () => {
        for (const [enterprise, token] of [
          ["no-such-enterprise", t.tokens.owenClassic],
          ["emu-corp", t.tokens.zedClassic],
          ["emu-corp", t.tokens.tedClassic],
        ] as const) {
          const r = await post(t, P.all, { enterprise }, token);
          assert.equal(r.status, 404);
          assert.equal(r.body.message, "Not Found");
        }
      });

      it("answers 403 to a member who is neither owner nor credential manager", async () => {
        const r = await post(t, P.all, { enterprise: "emu-corp" }, t.tokens.melClassic);
        assert.equal(r.status, 403);
        assert.match(r.body.message, /enterprise owner or have the write_enterprise_credentials permission/);
      });

      it("answers 403 with the scope headers to a classic PAT without admin:enterprise", async () => {
        const r = await post(t, P.all, { enterprise: "emu-corp" }, t.tokens.owenReadOrgOnly);
        assert.equal(r.status, 403);
        assert.equal(r.headers["x-oauth-scopes"], "read:org");
        assert.equal(r.headers["x-accepted-oauth-scopes"], "admin:enterprise");
        assert.match(r.body.message, /'admin:enterprise' scope is required/);
      });

      it("answers 403 to every fine-grained PAT, which GitHub does not list for these endpoints", async () => {
        // Even an owner's token for the enterprise with enterprise_credentials=write.
        for (const token of [t.tokens.owenFineGrained, t.tokens.owenFineGrainedNoPermission]) {
          const r = await post(t, P.all, { enterprise: "emu-corp" }, token);
          assert.equal(r.status, 403);
          assert.equal(r.body.message, "Resource not accessible by personal access token");
          assert.equal(r.headers["x-accepted-github-permissions"], "enterprise_credentials=write");
          assert.equal(r.headers["x-oauth-scopes"], undefined);
        }
      });

      it("answers 403 to GitHub App tokens without enterprise_credentials=write", async () => {
        for (const token of [t.tokens.owenAppNoPermission, t.tokens.emuInstallationReadOnly]) {
          const app = await post(t, P.all, { enterprise: "emu-corp" }, token);
          assert.equal(app.status, 403);
          assert.equal(app.body.message, "Resource not accessible by integration");
          assert.equal(app.headers["x-accepted-github-permissions"], "enterprise_credentials=write");
        }
      });

      it("hides other enterprises from an App installed on one", async () => {
        const r = await post(t, P.all, { enterprise: "classic-corp" }, t.tokens.emuInstallation);
        assert.equal(r.status, 404);
        const org = await post(t, P.all, { enterprise: "emu-corp" }, t.tokens.classicEngInstallation);
        assert.equal(org.status, 404);
      });

      it("answers 400 for bodies that are not JSON objects", async () => {
        const broken = await post(t, P.all, { enterprise: "emu-corp" }, t.tokens.owenClassic, "{not json");
        assert.equal(broken.status, 400);
        assert.equal(broken.body.message, "Problems parsing JSON");
        const array = await post(t, P.all, { enterprise: "emu-corp" }, t.tokens.owenClassic, [1, 2]);
        assert.equal(array.status, 400);
        assert.equal(array.body.message, "Body should be a JSON object");
      });

      it("answers 422 Invalid request for a revoke_credentials that is not a boolean", async () => {
        const r = await post(t, P.user, { enterprise: "emu-corp", username: "ann_emu" }, t.tokens.owenClassic, {
          revoke_credentials: "yes",
        });
        assert.equal(r.status, 422);
        assert.equal(
          r.body.message,
          `Invalid request.\n\nFor 'properties/revoke_credentials', "yes" is not a boolean.`,
        );
      });

      it("answers 422 with the contract's message for a missing or invalid credential_type", async () => {
        for (const body of [{}, { credential_type: "github_app_token" }, { credential_type: 7 }]) {
          for (const path of [P.type, P.userType]) {
            const r = await post(t, path, { enterprise: "emu-corp", username: "ann_emu" }, t.tokens.owenClassic, body);
            assert.equal(r.status, 422);
            assert.equal(
              r.body.message,
              "The `credential_type` parameter is required and must be one of: classic_pat, fine_grained_pat, ssh_key, oauth_app_token",
            );
          }
        }
      });

      it("answers 422 for revoke_credentials on a non-EMU enterprise", async () => {
        const r = await post(t, P.all, { enterprise: "classic-corp" }, t.tokens.tedClassic, {
          revoke_credentials: true,
        });
        assert.equal(r.status, 422);
        assert.equal(
          r.body.message,
          "The `revoke_credentials` option is only available for Enterprise Managed User (EMU) enterprises",
        );
        assert.match(r.body.documentation_url, /#revoke-all-credential-authorizations-for-an-enterprise$/);
      });

      it("answers 404 for unknown users and users outside the enterprise, 422 for the first EMU owner", async () => {
        for (const username of ["nobody_here", "zed", "shared_user"]) {
          const r = await post(t, P.user, { enterprise: "emu-corp", username }, t.tokens.owenClassic);
          assert.equal(r.status, 404, username);
        }
        for (const [path, body] of [
          [P.user, {}],
          [P.userType, { credential_type: "classic_pat" }],
        ] as const) {
          const r = await post(t, path, { enterprise: "emu-corp", username: "emu_admin" }, t.tokens.owenClassic, body);
          assert.equal(r.status, 422);
          assert.equal(r.body.message, "The first EMU owner cannot be targeted for credential revocation.");
        }
      });

      it("refuses unsupported API versions with GitHub's 400 and selects supported ones", async () => {
        const bad = await post(t, P.all, { enterprise: "emu-corp" }, t.tokens.owenClassic, undefined, {
          "x-github-api-version": "1999-01-01",
        });
        assert.equal(bad.status, 400);
        assert.equal(bad.body.message, "Bad Request");
        assert.match(bad.body.errors, /"1999-01-01", is not a supported version/);
        const current = await get(t, "/user", t.tokens.owenClassic);
        assert.equal(current.headers["x-github-api-version-selected"], "2022-11-28");
        const newer = await t.app.inject({
          method: "GET",
          url: "/user",
          headers: { ...bearer(t.tokens.owenClassic), "x-github-api-version": "2026-03-10" },
        });
        assert.equal(newer.headers["x-github-api-version-selected"], "2026-03-10");
      });

      it("answers GET /user with the caller's own user and the public URL, whatever Host says, however often asked", async () => {
        // The rendered body is memoized (docs/performance.md): each caller must still get its own, and
        // the Host header, which the caller chooses, never reaches a URL.
        const asked = async (token: string, host: string) => {
          const response = await t.app.inject({ method: "GET", url: "/user", headers: { ...bearer(token), host } });
          assertMatchesContract("GET", "/user", response);
          assert.equal(response.headers["content-type"], "application/json; charset=utf-8");
          return response.json() as { login: string; id: number; url: string };
        };
        for (let round = 0; round < 2; round++) {
          const owen = await asked(t.tokens.owenClassic, "api.one.test");
          const ann = await asked(t.tokens.annClassic, "api.one.test");
          const owenElsewhere = await asked(t.tokens.owenClassic, "api.two.test");
          assert.equal(owen.login, "owen_emu");
          assert.equal(ann.login, "ann_emu");
          assert.notEqual(owen.id, ann.id);
          assert.equal(owen.url, "http://127.0.0.1:3000/users/owen_emu");
          assert.equal(owenElsewhere.url, "http://127.0.0.1:3000/users/owen_emu");
        }
      });

      it("sends GitHub's standard headers on every answer", async () => {
        const r = await post(t, P.all, { enterprise: "emu-corp" }, t.tokens.melClassic);
        assert.match(
          String(r.headers["x-github-request-id"]),
          /^[0-9A-F]{4}:[0-9A-F]{4}:[0-9A-F]{6}:[0-9A-F]{6}:[0-9A-F]{8}$/,
        );
        assert.equal(r.headers["x-github-media-type"], "github.v3; format=json");
      });

      it("recorded no revocation for any of the refused requests", async () => {
        assert.equal(await revocationCount(t), 0);
      });
    });

    describe("revoking one user's authorizations", () => {
      let t: TestApp;
      before(async () => (t = await startWorldApp(backend)));
      after(() => t.close());

      it("answers 202, contains at once, and the job materializes exact counts and audit events", async () => {
        // Embedded, the SSO check is answered from the exact cache: warm it, so containment is shown through it.
        for (let i = 0; i < 2; i++) assert.equal((await get(t, "/orgs/emu-eng", t.tokens.annClassic)).status, 200);
        const r = await post(t, P.user, { enterprise: "emu-corp", username: "ANN_EMU" }, t.tokens.owenClassic);
        assert.equal(r.status, 202);
        assert.deepEqual(r.body, { message: "Credential authorization revocation for user 'ann_emu' has been queued" });
        const id = idFromLocation(r.headers.location);

        // No worker runs in this app: containment must not depend on the job.
        const blocked = await get(t, "/orgs/emu-eng", t.tokens.annClassic);
        assert.equal(blocked.status, 403);
        assert.equal(
          blocked.body.message,
          "Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization.",
        );
        assert.equal(
          blocked.body.documentation_url,
          "https://docs.github.com/articles/authenticating-to-a-github-organization-with-saml-single-sign-on/",
        );
        assert.match(
          String(blocked.headers["x-github-sso"]),
          /^required; url=https:\/\/github\.com\/orgs\/emu-eng\/sso\?authorization_request=[A-Za-z0-9_-]+$/,
        );
        const oauthBlocked = await get(t, "/orgs/emu-eng", t.tokens.annOAuth);
        assert.match(oauthBlocked.body.message, /your OAuth token access/);
        assert.equal(
          (await get(t, "/orgs/emu-open", t.tokens.annClassic)).status,
          200,
          "an organization without SSO stays open",
        );
        assert.equal((await get(t, "/user", t.tokens.annClassic)).status, 200, "the credential itself lives on");
        assert.equal(
          (await get(t, "/orgs/emu-eng", t.tokens.gwenClassic)).status,
          200,
          "other users keep their access",
        );

        const queued = await get(t, `/_credauth/revocations/${id}`, t.tokens.owenClassic);
        assert.equal(queued.body.state, "queued");

        await performRevocation(t.app.services.db, id, 2);
        const done = await get(t, `/_credauth/revocations/${id}`, t.tokens.caraAppUser);
        assert.equal(done.status, 200);
        assert.equal(done.body.state, "succeeded");
        assert.deepEqual(done.body.scope, {
          enterprise: "emu-corp",
          organization: null,
          username: "ann_emu",
          credential_type: null,
          revoke_credentials: false,
        });
        assert.equal(done.body.requester.login, "owen_emu");
        assert.deepEqual(done.body.counts.authorizations_revoked, {
          classic_pat: 2,
          fine_grained_pat: 1,
          ssh_key: 1,
          oauth_app_token: 1,
          github_app_token: 1,
          total: 6,
        });
        assert.equal(done.body.counts.credentials_destroyed.total, 0);
        assert.deepEqual(await auditCounts(t, id), {
          "org_credential_authorization.deauthorize": 6,
          "org_credential_authorization.revoke": 6,
          "personal_access_token.access_revoked": 1,
        });
        assert.equal(
          (await get(t, "/orgs/emu-eng", t.tokens.annClassic)).status,
          403,
          "still refused once materialized",
        );

        // Idempotent: a second run (a retried job) changes nothing.
        await performRevocation(t.app.services.db, id, 2);
        const again = await get(t, `/_credauth/revocations/${id}`, t.tokens.owenClassic);
        assert.deepEqual(again.body.counts, done.body.counts);
        assert.deepEqual(await auditCounts(t, id), {
          "org_credential_authorization.deauthorize": 6,
          "org_credential_authorization.revoke": 6,
          "personal_access_token.access_revoked": 1,
        });
      });

      it("shows the job only to the enterprise's owners and credential managers", async () => {
        const [row] = await t.app.services.db.query<{ id: number }>("select max(id)::int as id from revocations");
        for (const token of [t.tokens.melClassic, t.tokens.zedClassic, t.tokens.tedClassic]) {
          assert.equal((await get(t, `/_credauth/revocations/${row!.id}`, token)).status, 404);
        }
        assert.equal((await get(t, "/_credauth/revocations/999999", t.tokens.owenClassic)).status, 404);
        assert.equal((await get(t, "/_credauth/revocations/abc", t.tokens.owenClassic)).status, 404);
        assert.equal((await get(t, `/_credauth/revocations/${row!.id}`, null)).status, 401);
      });
    });

    describe("warnings about the caller's own token", () => {
      let t: TestApp;
      before(async () => (t = await startWorldApp(backend)));
      after(() => t.close());

      it("warns exactly when the caller's token is in scope, with the contract's wording", async () => {
        const none = await post(t, P.type, { enterprise: "emu-corp" }, t.tokens.owenClassic, {
          credential_type: "ssh_key",
        });
        assert.equal(none.status, 202);
        assert.deepEqual(none.body, { message: "Credential type revocation has been queued" });

        const typeRevoked = await post(t, P.type, { enterprise: "emu-corp" }, t.tokens.owenClassic, {
          credential_type: "classic_pat",
        });
        assert.equal(
          typeRevoked.body.warning,
          "The token used for this request may also have its authorization revoked as part of this operation",
        );

        const userDestroyed = await post(
          t,
          P.userType,
          { enterprise: "emu-corp", username: "owen_emu" },
          t.tokens.owenClassic,
          {
            credential_type: "classic_pat",
            revoke_credentials: true,
          },
        );
        assert.deepEqual(userDestroyed.body, {
          message: "Credential type revocation for user 'owen_emu' has been queued",
          warning: "The token used for this request may also be destroyed as part of this operation",
        });
        // From that 202 on, owen's token no longer authenticates.
        assert.equal((await get(t, "/user", t.tokens.owenClassic)).status, 401);
      });

      it("uses revoke-all's single wording for either effect", async () => {
        // A token of an owner that holds no authorization: revoke-all would only destroy it.
        const destroyOnly = generateToken("classic_pat");
        const owenSpare = {
          users: [
            {
              login: "owen_emu",
              credentials: [{ type: "classic_pat", token: destroyOnly, scopes: ["admin:enterprise"] }],
            },
          ],
        };
        await applyFixture(t.app.services.db, parseFixture(JSON.stringify(owenSpare), "spare.json"));
        const all = await post(t, P.all, { enterprise: "emu-corp" }, destroyOnly, {
          revoke_credentials: true,
        });
        assert.equal(all.status, 202);
        assert.deepEqual(all.body, {
          message: "Credential authorization revocation has been queued",
          warning: "The token used for this request may also be revoked or destroyed as part of this operation",
        });
      });
    });

    describe("revoke-all with revoke_credentials on an EMU enterprise", () => {
      let t: TestApp;
      let id: number;
      let lateToken: string;
      before(async () => {
        t = await startWorldApp(backend);
        // Every token is used first, so a principal cache (embedded backend) holds it when the revocation arrives.
        for (const token of [
          t.tokens.annClassic,
          t.tokens.annSpare,
          t.tokens.annFineGrained,
          t.tokens.owenClassic,
          t.tokens.gwenClassic,
          t.tokens.melClassic,
        ]) {
          assert.equal((await get(t, "/user", token)).status, 200);
        }
        const r = await post(t, P.all, { enterprise: "emu-corp" }, t.tokens.caraAppUser, {
          revoke_credentials: true,
        });
        assert.equal(r.status, 202);
        id = idFromLocation(r.headers.location);
        // A credential and authorization created after the request must survive it.
        lateToken = generateToken("classic_pat");
        const late = {
          users: [
            {
              login: "ann_emu",
              credentials: [
                { type: "classic_pat" as const, token: lateToken, scopes: ["repo"], authorized_orgs: ["emu-eng"] },
              ],
            },
          ],
        };
        await applyFixture(t.app.services.db, parseFixture(JSON.stringify(late), "late.json"));
      });
      after(() => t.close());

      it("refuses destroyed tokens from the 202 on, before the job runs", async () => {
        for (const token of [
          t.tokens.annClassic,
          t.tokens.annSpare,
          t.tokens.annFineGrained,
          t.tokens.owenClassic,
          t.tokens.gwenClassic,
          t.tokens.melClassic,
        ]) {
          const r = await get(t, "/user", token);
          assert.equal(r.status, 401);
          assert.equal(r.body.message, "Bad credentials");
        }
      });

      it("spares the first EMU owner's credentials, OAuth and GitHub App tokens, and later credentials", async () => {
        assert.equal((await get(t, "/user", t.tokens.emuAdmin)).status, 200);
        assert.equal(
          (await get(t, "/orgs/emu-eng", t.tokens.emuAdmin)).status,
          403,
          "but its authorization is revoked",
        );
        assert.equal((await get(t, "/user", t.tokens.annOAuth)).status, 200);
        assert.equal((await get(t, "/orgs/emu-eng", t.tokens.annOAuth)).status, 403);
        assert.equal((await get(t, "/user", t.tokens.annApp)).status, 200);
        assert.equal((await get(t, "/user", lateToken)).status, 200);
        assert.equal((await get(t, "/orgs/emu-eng", lateToken)).status, 200);
      });

      it("leaves other enterprises alone", async () => {
        assert.equal((await get(t, "/orgs/classic-eng", t.tokens.sharedClassic)).status, 200);
        assert.equal((await get(t, "/orgs/other-eng", t.tokens.sharedClassic)).status, 200);
      });

      it("materializes exact counts and GitHub's audit actions, once", async () => {
        // Shards of 4 ids: many shards, each in batches of 3, run twice (a retried job).
        await performRevocation(t.app.services.db, id, 3, 4);
        await performRevocation(t.app.services.db, id, 3, 4);
        const r = await get(t, `/_credauth/revocations/${id}`, t.tokens.emuAdmin);
        assert.equal(r.body.state, "succeeded");
        assert.deepEqual(r.body.counts.authorizations_revoked, {
          classic_pat: 5,
          fine_grained_pat: 1,
          ssh_key: 2,
          oauth_app_token: 1,
          github_app_token: 1,
          total: 10,
        });
        assert.deepEqual(r.body.counts.credentials_destroyed, {
          classic_pat: 6,
          fine_grained_pat: 4,
          ssh_key: 2,
          oauth_app_token: 0,
          github_app_token: 0,
          total: 12,
        });
        assert.deepEqual(await auditCounts(t, id), {
          "org_credential_authorization.deauthorize": 10,
          "org_credential_authorization.revoke": 10,
          "personal_access_token.access_revoked": 1,
          "personal_access_token.destroy": 10,
          "public_key.delete": 2,
        });
        assert.equal((await get(t, "/user", lateToken)).status, 200);
        const [event] = await t.app.services.db.query<{
          actor_login: string;
          business_slug: string;
          data: { managed_token_last_eight?: string; hashed_token?: string };
        }>(
          "select actor_login, business_slug, data from audit_events where revocation_id = $1 and action = 'personal_access_token.destroy' and user_login = 'gwen_emu'",
          [id],
        );
        assert.equal(event?.actor_login, "cara_emu");
        assert.equal(event?.business_slug, "emu-corp");
        assert.equal(event?.data.managed_token_last_eight, t.tokens.gwenClassic.slice(-8));
        assert.equal(event?.data.hashed_token, createHash("sha256").update(t.tokens.caraAppUser).digest("base64"));
      });

      it("never stores a token in clear", async () => {
        const rows = await t.app.services.db.query<{ dump: string }>(
          "select string_agg(row_to_json(c)::text, '') as dump from credentials c",
        );
        assert.ok(!rows[0]!.dump.includes(t.tokens.annClassic));
        assert.ok(!rows[0]!.dump.includes(lateToken));
      });
    });

    describe("revoke-all on a non-EMU enterprise", () => {
      let t: TestApp;
      before(async () => (t = await startWorldApp(backend, { runWorker: true })));
      after(() => t.close());

      it("revokes that enterprise's authorizations only, and the worker finishes the job", async () => {
        const r = await post(t, P.all, { enterprise: "classic-corp" }, t.tokens.tedClassic, {});
        assert.equal(r.status, 202);
        assert.equal(r.body.warning, undefined);
        assert.equal((await get(t, "/orgs/classic-eng", t.tokens.sharedClassic)).status, 403);
        assert.equal(
          (await get(t, "/orgs/other-eng", t.tokens.sharedClassic)).status,
          200,
          "the same person's other enterprise is untouched",
        );
        assert.equal(
          (await get(t, "/user", t.tokens.sharedClassic)).status,
          200,
          "non-EMU credentials are never destroyed",
        );
        const id = idFromLocation(r.headers.location);
        let state = "queued";
        for (let i = 0; i < 100 && state !== "succeeded"; i++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          state = (await get(t, `/_credauth/revocations/${id}`, t.tokens.tedClassic)).body.state;
        }
        assert.equal(state, "succeeded");
        const job = await get(t, `/_credauth/revocations/${id}`, t.tokens.tedClassic);
        // shared_user's and cleo's two classic PATs, cleo's fine-grained PAT, pat's OAuth token.
        assert.equal(job.body.counts.authorizations_revoked.total, 5);
        assert.equal(job.body.counts.authorizations_revoked.classic_pat, 3);
        assert.equal(job.body.counts.authorizations_revoked.fine_grained_pat, 1);
        assert.equal(job.body.counts.authorizations_revoked.oauth_app_token, 1);
      });
    });
  });
}
