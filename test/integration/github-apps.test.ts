// GitHub Apps signing in as GitHub has them do: a JWT their private key signs, checked by GitHub's
// rules of time and issuer, then installation tokens minted, narrowed, revoked, suspended and
// uninstalled — every answer validated against the contract, on every backend.
import assert from "node:assert/strict";
import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { SignJWT } from "jose";
import { parseFixture } from "../../src/domain/fixture.ts";
import { generateToken } from "../../src/domain/tokens.ts";
import { applyFixture, type SeedReport } from "../../src/store/seed.ts";
import { backends } from "../helpers/backends.ts";
import { assertMatchesContract } from "../helpers/contract.ts";
import { bearer, startWorldApp, type TestApp, worldDigest } from "../helpers/world.ts";

const { privateKey: RESPONDER_KEY } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

/** ann_emu's tokens of the App emu-ir (its grant), and one of no App. */
const GRANT = {
  first: generateToken("github_app_token"),
  second: generateToken("github_app_token"),
  third: generateToken("github_app_token"),
  oauth: generateToken("oauth_app_token"),
  unrelated: generateToken("github_app_token"),
  scopable: generateToken("github_app_token"),
};
const CLIENT_SECRET = "0123456789abcdef0123456789abcdef01234567";

const APPS_FIXTURE = {
  apps: [
    {
      slug: "emu-ir",
      name: "EMU incident response",
      owner: "emu-corp",
      id: 4242,
      client_id: "Iv23liEmuIncident01",
      client_secret: CLIENT_SECRET,
      private_key: RESPONDER_KEY,
      permissions: { enterprise_credentials: "write", organization_administration: "write", members: "read" },
      installations: [
        { account: "emu-corp", permissions: { enterprise_credentials: "write" } },
        { account: "emu-eng", permissions: { organization_administration: "write", members: "read" } },
        { account: "emu-open", permissions: { members: "read" } },
      ],
    },
    // Everything generated: its key and secret are told only in the load's report.
    {
      slug: "hygiene-bot",
      owner: "emu-eng",
      permissions: { members: "read" },
      installations: [{ account: "emu-eng" }],
    },
  ],
  users: [
    {
      login: "ann_emu",
      credentials: [
        { type: "github_app_token", token: GRANT.first, app: "emu-ir", permissions: {}, authorized_orgs: ["emu-eng"] },
        { type: "github_app_token", token: GRANT.second, app: "emu-ir", permissions: {} },
        { type: "github_app_token", token: GRANT.third, app: "emu-ir", permissions: {} },
        { type: "oauth_app_token", token: GRANT.oauth, app: "emu-ir", scopes: ["read:org"] },
        { type: "github_app_token", token: GRANT.unrelated, app: "hygiene-bot", permissions: {} },
        {
          type: "github_app_token",
          token: GRANT.scopable,
          app: "emu-ir",
          permissions: { members: "read" },
          authorized_orgs: ["emu-eng"],
        },
      ],
    },
  ],
};

const ADMIN_TOKEN = "a".repeat(64);

type Claims = { iss?: unknown; iat?: unknown; exp?: unknown };

for (const backend of backends()) {
  describe(`GitHub Apps on ${backend.name}`, () => {
    let t: TestApp;
    let report: SeedReport;
    const now = () => Math.floor(t.app.services.clock.nowMs() / 1000);

    /** A JWT as @octokit/auth-app makes one (iat 30 s back, ten minutes' life), with any claim replaced. */
    async function jwt(claims: Claims = {}, key: string = RESPONDER_KEY): Promise<string> {
      const iat = now() - 30;
      const payload = { iss: 4242, iat, exp: iat + 600, ...claims };
      return new SignJWT(payload as Record<string, unknown>)
        .setProtectedHeader({ alg: "RS256" })
        .sign(createPrivateKey(key));
    }
    const asApp = async (method: "GET" | "POST" | "PUT" | "DELETE", url: string, payload?: object, token?: string) =>
      t.app.inject({ method, url, headers: bearer(token ?? (await jwt())), ...(payload ? { payload } : {}) });

    before(async () => {
      t = await startWorldApp(backend, { adminToken: ADMIN_TOKEN });
      report = await applyFixture(t.app.services.db, parseFixture(JSON.stringify(APPS_FIXTURE), "apps.json"));
    });
    after(() => t.close());

    it("reports the secrets it generated, once, and keeps only what verifies them", async () => {
      const generated = report.apps.find((app) => app.slug === "hygiene-bot")!;
      assert.match(generated.privateKey ?? "", /^-----BEGIN RSA PRIVATE KEY-----/);
      assert.match(generated.clientSecret ?? "", /^[0-9a-f]{40}$/);
      assert.equal(generated.installations.length, 1);
      const given = report.apps.find((app) => app.slug === "emu-ir")!;
      assert.equal(given.privateKey, undefined, "a key the fixture gave is not repeated");
      assert.equal(given.clientSecret, undefined);
      const [row] = await t.app.services.db.query<{ columns: string }>(
        "select row_to_json(a)::text as columns from apps a where slug = 'hygiene-bot'",
      );
      assert.ok(!row!.columns.includes("PRIVATE KEY"), "the private key is not stored");
      assert.ok(!row!.columns.includes(generated.clientSecret!), "the client secret is not stored");
      // The generated key signs in.
      const signedIn = await asApp("GET", "/app", undefined, await jwt({ iss: generated.id }, generated.privateKey));
      assert.equal(signedIn.statusCode, 200);
      assert.equal(signedIn.json().slug, "hygiene-bot");
    });

    it("loads an App through the admin API, its generated key answered once and working; refuses a key that is none", async () => {
      const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
      const loaded = await t.app.inject({
        method: "POST",
        url: "/_credauth/admin/fixtures",
        headers: admin,
        payload: { apps: [{ slug: "admin-made", owner: "emu-corp", installations: [{ account: "emu-ops" }] }] },
      });
      assert.equal(loaded.statusCode, 201, loaded.body);
      const [made] = loaded.json().apps;
      assert.match(made.private_key, /^-----BEGIN RSA PRIVATE KEY-----/);
      assert.equal(made.installations[0].account, "emu-ops");
      const self = await asApp("GET", "/app", undefined, await jwt({ iss: made.client_id }, made.private_key));
      assert.equal(self.json().slug, "admin-made");

      const before = await worldDigest(t.app.services.db);
      const ecKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({
        type: "pkcs8",
        format: "pem",
      });
      const shortKey = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({
        type: "pkcs1",
        format: "pem",
      });
      for (const private_key of [
        ecKey,
        shortKey,
        "-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----\n",
      ]) {
        const refused = await t.app.inject({
          method: "POST",
          url: "/_credauth/admin/fixtures",
          headers: admin,
          payload: { apps: [{ slug: "bad-key", owner: "emu-corp", private_key }] },
        });
        assert.equal(refused.statusCode, 422);
        assert.match(refused.json().message, /private_key.*is not an RSA private key/s);
        assert.ok(!refused.body.includes(String(private_key).split("\n")[1]!), "the key is never echoed");
      }
      const unknownAccount = await t.app.inject({
        method: "POST",
        url: "/_credauth/admin/fixtures",
        headers: admin,
        payload: { apps: [{ slug: "nowhere-app", owner: "emu-corp", installations: [{ account: "nowhere-org" }] }] },
      });
      assert.equal(unknownAccount.statusCode, 422);
      assert.match(unknownAccount.json().message, /"nowhere-org" is not an enterprise or organization/);
      const takenId = await t.app.inject({
        method: "POST",
        url: "/_credauth/admin/fixtures",
        headers: admin,
        payload: { apps: [{ slug: "clash-app", owner: "emu-corp", id: 4242 }] },
      });
      assert.equal(takenId.statusCode, 422);
      assert.match(takenId.json().message, /belongs to another App already loaded/);
      assert.equal(await worldDigest(t.app.services.db), before);

      // Removing the account it is installed on removes the installation; removing its bot account
      // removes the App and every token it minted.
      const { token } = (
        await asApp(
          "POST",
          `/app/installations/${made.installations[0].id}/access_tokens`,
          undefined,
          await jwt({ iss: made.id }, made.private_key),
        )
      ).json();
      const removeOrganization = await t.app.inject({
        method: "DELETE",
        url: "/_credauth/admin/organizations/emu-ops",
        headers: admin,
      });
      assert.equal(removeOrganization.statusCode, 204, removeOrganization.body);
      const afterwards = await asApp("GET", "/app", undefined, await jwt({ iss: made.id }, made.private_key));
      assert.equal(afterwards.json().installations_count, 0);
      const removeBot = await t.app.inject({
        method: "DELETE",
        url: "/_credauth/admin/users/admin-made[bot]",
        headers: admin,
      });
      assert.equal(removeBot.statusCode, 204, removeBot.body);
      const gone = await asApp("GET", "/app", undefined, await jwt({ iss: made.id }, made.private_key));
      assert.equal(gone.statusCode, 404);
      assert.equal(gone.json().message, "Integration not found");
      assert.equal((await t.app.inject({ method: "GET", url: "/rate_limit", headers: bearer(token) })).statusCode, 401);
    });

    it("answers GET /app and the installations to the App's JWT, by id or client id", async () => {
      const self = await asApp("GET", "/app");
      assertMatchesContract("GET", "/app", self);
      assert.equal(self.json().id, 4242);
      assert.equal(self.json().owner.slug, "emu-corp");
      assert.equal(self.json().installations_count, 3);
      const byClientId = await asApp("GET", "/app", undefined, await jwt({ iss: "Iv23liEmuIncident01" }));
      assert.equal(byClientId.statusCode, 200);
      const list = await asApp("GET", "/app/installations?per_page=1");
      assertMatchesContract("GET", "/app/installations", list);
      assert.equal(list.json().length, 1);
      assert.match(String(list.headers.link), /rel="next"/);
      const enterprise = await asApp("GET", "/enterprises/emu-corp/installation");
      assertMatchesContract("GET", "/enterprises/{enterprise}/installation", enterprise);
      assert.equal(enterprise.json().target_type, "Enterprise");
      const organization = await asApp("GET", "/orgs/emu-eng/installation");
      assertMatchesContract("GET", "/orgs/{org}/installation", organization);
      assert.equal(organization.json().account.login, "emu-eng");
      const one = await asApp("GET", `/app/installations/${organization.json().id}`);
      assertMatchesContract("GET", "/app/installations/{installation_id}", one);
      assert.equal((await asApp("GET", "/orgs/emu-ops/installation")).statusCode, 404);
      assert.equal((await asApp("GET", "/app/installations/999999999")).statusCode, 404);
      assert.equal((await asApp("GET", "/app/installations/not-a-number")).statusCode, 404);
    });

    it("mints an installation token that acts on its account for one hour of credauth's clock", async () => {
      const { id } = (await asApp("GET", "/enterprises/emu-corp/installation")).json();
      const minted = await asApp("POST", `/app/installations/${id}/access_tokens`);
      assertMatchesContract("POST", "/app/installations/{installation_id}/access_tokens", minted);
      assert.equal(minted.statusCode, 201);
      const { token, expires_at, permissions } = minted.json();
      assert.match(token, /^ghs_[A-Za-z0-9]{36}$/);
      assert.deepEqual(permissions, { enterprise_credentials: "write" });
      const lifetime = Date.parse(expires_at) / 1000 - now();
      assert.ok(lifetime > 3595 && lifetime <= 3600, `expires ${lifetime} s from now`);
      const repositories = await t.app.inject({
        method: "GET",
        url: "/installation/repositories",
        headers: bearer(token),
      });
      assertMatchesContract("GET", "/installation/repositories", repositories);
      assert.deepEqual(repositories.json(), { total_count: 0, repositories: [], repository_selection: "all" });
      const asUser = await t.app.inject({
        method: "GET",
        url: "/installation/repositories",
        headers: bearer(t.tokens.owenClassic),
      });
      assert.equal(asUser.statusCode, 403, "a user's token is no installation");
      const preview = await t.app.inject({
        method: "POST",
        url: "/_credauth/dry-run/enterprises/emu-corp/credential-authorizations/revoke-all",
        headers: bearer(token),
      });
      assert.equal(preview.statusCode, 200);
      assert.equal(
        (await t.app.inject({ method: "GET", url: "/orgs/emu-eng/credential-authorizations", headers: bearer(token) }))
          .statusCode,
        404,
        "an enterprise installation's token does not reach into an organization's owner endpoints",
      );
    });

    it("narrows a token to fewer permissions and refuses more, changing nothing", async () => {
      const { id } = (await asApp("GET", "/orgs/emu-eng/installation")).json();
      const narrowed = await asApp("POST", `/app/installations/${id}/access_tokens`, {
        permissions: { members: "read" },
      });
      assert.equal(narrowed.statusCode, 201);
      assert.deepEqual(narrowed.json().permissions, { members: "read" });
      const listing = await t.app.inject({
        method: "GET",
        url: "/orgs/emu-eng/credential-authorizations",
        headers: bearer(narrowed.json().token),
      });
      assert.equal(listing.statusCode, 403, "a narrowed token lacks organization_administration");
      const before = await worldDigest(t.app.services.db);
      for (const permissions of [{ members: "write" }, { enterprise_credentials: "write" }, { issues: "read" }]) {
        const widened = await asApp("POST", `/app/installations/${id}/access_tokens`, { permissions });
        assertMatchesContract("POST", "/app/installations/{installation_id}/access_tokens", widened);
        assert.equal(widened.statusCode, 422);
        assert.equal(widened.json().message, "The permissions requested are not granted to this installation.");
      }
      const repositories = await asApp("POST", `/app/installations/${id}/access_tokens`, { repositories: ["x"] });
      assert.equal(repositories.statusCode, 422);
      assert.equal(await worldDigest(t.app.services.db), before);
    });

    it("refuses each bad JWT with GitHub's message, and an expired installation token with 401", async () => {
      const before = await worldDigest(t.app.services.db);
      const cases: [string | Promise<string>, number, string][] = [
        ["eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln", 401, "A JSON web token could not be decoded"],
        [jwt({ exp: now() - 120, iat: now() - 400 }), 401, "'Expiration time' claim ('exp') must be a numeric value"],
        [jwt({ exp: now() + 1200 }), 401, "'Expiration time' claim ('exp') is too far in the future"],
        [jwt({ iat: now() + 300, exp: now() + 500 }), 401, "'Issued at' claim ('iat') must be an Integer"],
        [jwt({ iat: "yesterday" }), 401, "'Issued at' claim ('iat') must be an Integer"],
        [jwt({ iss: { app: 1 } }), 401, "'Issuer' claim ('iss') must be an Integer"],
        [jwt({ iss: 9999 }), 404, "Integration not found"],
        // Signed by another key than the App's.
        [
          jwt(
            {},
            generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({
              type: "pkcs8",
              format: "pem",
            }) as string,
          ),
          401,
          "A JSON web token could not be decoded",
        ],
      ];
      for (const [token, status, message] of cases) {
        const response = await asApp("GET", "/app", undefined, await token);
        assert.equal(response.statusCode, status, message);
        assert.ok(response.json().message.startsWith(message), `${response.json().message} / ${message}`);
      }
      // A user's token is no JWT; a JWT is no user's token.
      const withToken = await t.app.inject({ method: "GET", url: "/app", headers: bearer(t.tokens.owenClassic) });
      assert.equal(withToken.statusCode, 401);
      assert.equal(withToken.json().message, "A JSON web token could not be decoded");
      const jwtOnUser = await asApp("GET", "/user");
      assert.equal(jwtOnUser.statusCode, 403);
      assert.equal(jwtOnUser.json().message, "Resource not accessible by integration");
      assert.equal(await worldDigest(t.app.services.db), before);
      // An installation token is refused once its hour is over, on credauth's clock.
      const { id } = (await asApp("GET", "/orgs/emu-eng/installation")).json();
      const { token } = (await asApp("POST", `/app/installations/${id}/access_tokens`)).json();
      const admin = await t.app.inject({
        method: "GET",
        url: "/orgs/emu-eng/credential-authorizations",
        headers: bearer(token),
      });
      assert.equal(admin.statusCode, 200);
      t.app.services.clock.adopt(t.app.services.clock.offsetMs + 3601_000);
      try {
        const expired = await t.app.inject({
          method: "GET",
          url: "/orgs/emu-eng/credential-authorizations",
          headers: bearer(token),
        });
        assert.equal(expired.statusCode, 401);
      } finally {
        t.app.services.clock.adopt(t.app.services.clock.offsetMs - 3601_000);
      }
    });

    it("lets an installation token revoke itself, and kills the tokens of a suspended or removed installation", async () => {
      const { id } = (await asApp("GET", "/orgs/emu-eng/installation")).json();
      const mint = async () => (await asApp("POST", `/app/installations/${id}/access_tokens`)).json().token as string;
      const works = async (token: string) =>
        (await t.app.inject({ method: "GET", url: "/orgs/emu-eng/credential-authorizations", headers: bearer(token) }))
          .statusCode === 200;

      const own = await mint();
      const revoked = await t.app.inject({ method: "DELETE", url: "/installation/token", headers: bearer(own) });
      assertMatchesContract("DELETE", "/installation/token", revoked);
      assert.equal(revoked.statusCode, 204);
      assert.equal(await works(own), false);

      const beforeSuspension = await mint();
      const suspended = await asApp("PUT", `/app/installations/${id}/suspended`);
      assertMatchesContract("PUT", "/app/installations/{installation_id}/suspended", suspended);
      assert.equal(suspended.statusCode, 204);
      assert.equal(await works(beforeSuspension), false, "suspending kills the live tokens");
      const whileSuspended = await asApp("POST", `/app/installations/${id}/access_tokens`);
      assert.equal(whileSuspended.statusCode, 403);
      assert.equal(whileSuspended.json().message, "This installation has been suspended");
      const shown = (await asApp("GET", `/app/installations/${id}`)).json();
      assert.equal(shown.suspended_by.login, "emu-ir[bot]");
      const unsuspended = await asApp("DELETE", `/app/installations/${id}/suspended`);
      assertMatchesContract("DELETE", "/app/installations/{installation_id}/suspended", unsuspended);
      assert.equal(unsuspended.statusCode, 204);
      assert.equal(await works(beforeSuspension), false, "a killed token stays dead");

      const beforeRemoval = await mint();
      const removed = await asApp("DELETE", `/app/installations/${id}`);
      assertMatchesContract("DELETE", "/app/installations/{installation_id}", removed);
      assert.equal(removed.statusCode, 204);
      assert.equal(await works(beforeRemoval), false);
      assert.equal((await asApp("GET", `/app/installations/${id}`)).statusCode, 404);
      assert.equal((await asApp("DELETE", `/app/installations/${id}`)).statusCode, 404);

      const audit = await t.app.inject({
        method: "GET",
        url: "/enterprises/emu-corp/audit-log?phrase=action:integration_installation&per_page=100",
        headers: bearer(t.tokens.emuInstallation),
      });
      assert.equal(audit.statusCode, 200, audit.body);
      const actions = audit.json().map((event: { action: string }) => event.action);
      for (const action of ["create", "suspend", "unsuspend", "destroy"])
        assert.ok(actions.includes(`integration_installation.${action}`), `${action} in ${actions}`);
    });

    describe("the App's owner, with its client id and secret", () => {
      const basic = (secret = CLIENT_SECRET, clientId = "Iv23liEmuIncident01") => ({
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString("base64")}`,
      });
      const asOwner = (method: "POST" | "PATCH" | "DELETE", path: string, token: string, headers = basic()) =>
        t.app.inject({
          method,
          url: `/applications/Iv23liEmuIncident01/${path}`,
          headers,
          payload: { access_token: token },
        });
      const works = async (token: string) =>
        (await t.app.inject({ method: "GET", url: "/user", headers: bearer(token) })).statusCode === 200;

      it("checks a user's token of the App, and finds no other", async () => {
        const checked = await asOwner("POST", "token", GRANT.first);
        assertMatchesContract("POST", "/applications/{client_id}/token", checked);
        assert.equal(checked.statusCode, 200);
        assert.equal(checked.json().user.login, "ann_emu");
        assert.equal(checked.json().token, GRANT.first);
        assert.equal(checked.json().app.client_id, "Iv23liEmuIncident01");
        for (const other of [GRANT.unrelated, generateToken("github_app_token")]) {
          const response = await asOwner("POST", "token", other);
          assertMatchesContract("POST", "/applications/{client_id}/token", response);
          assert.equal(response.statusCode, 404);
        }
      });

      it("refuses a wrong secret or client id as not found, and no credentials as unauthenticated, changing nothing", async () => {
        const before = await worldDigest(t.app.services.db);
        for (const headers of [basic("f".repeat(40)), basic(CLIENT_SECRET, "Iv23liSomeoneElse00"), basic("")]) {
          const response = await asOwner("DELETE", "grant", GRANT.first, headers);
          assert.equal(response.statusCode, 404, JSON.stringify(headers));
          assert.equal(response.json().message, "Not Found");
        }
        const anonymous = await t.app.inject({
          method: "DELETE",
          url: "/applications/Iv23liEmuIncident01/token",
          payload: { access_token: GRANT.first },
        });
        assert.equal(anonymous.statusCode, 401);
        const withToken = await asOwner("DELETE", "token", GRANT.first, bearer(GRANT.first));
        assert.equal(withToken.statusCode, 401, "a user's token is no client secret");
        const noToken = await t.app.inject({
          method: "DELETE",
          url: "/applications/Iv23liEmuIncident01/token",
          headers: basic(),
          payload: {},
        });
        assertMatchesContract("DELETE", "/applications/{client_id}/token", noToken);
        assert.equal(noToken.statusCode, 422);
        assert.equal(await worldDigest(t.app.services.db), before);
        assert.equal(await works(GRANT.first), true);
      });

      it("scopes a user token to an organization the App is installed on, with fewer permissions", async () => {
        const scope = (body: object) =>
          t.app.inject({
            method: "POST",
            url: "/applications/Iv23liEmuIncident01/token/scoped",
            headers: basic(),
            payload: { access_token: GRANT.scopable, ...body },
          });
        const scoped = await scope({ target: "emu-open", permissions: { members: "read" } });
        assertMatchesContract("POST", "/applications/{client_id}/token/scoped", scoped);
        assert.equal(scoped.statusCode, 200, scoped.body);
        assert.equal(scoped.json().installation.account.login, "emu-open");
        assert.deepEqual(scoped.json().installation.permissions, { members: "read" });
        const token = scoped.json().token;
        assert.match(token, /^ghu_/);
        const members = (org: string, with_: string) =>
          t.app.inject({ method: "GET", url: `/orgs/${org}/members`, headers: bearer(with_) });
        assert.ok((await members("emu-open", token)).json().length > 0, "it reaches the organization it is scoped to");
        assert.equal(await works(GRANT.scopable), true, "the token it was made from stays as it was");
        // It reaches nothing else, and cannot be scoped again; what is asked must be within the token.
        // That it reaches no other organization is the rule's own test (test/unit/policies.test.ts):
        // here every other organization of ann's is SAML-enforced, which would refuse it anyway.
        const before = await worldDigest(t.app.services.db);
        for (const [body, status] of [
          [{ target: "emu-open", access_token: token }, 422],
          [{ target: "emu-open", permissions: { members: "write" } }, 422],
          [{ target: "classic-eng" }, 422],
          [{ permissions: { members: "read" } }, 422],
          [{ target: "emu-open", repositories: ["x"] }, 422],
          [{ target: "emu-open", access_token: generateToken("github_app_token") }, 404],
        ] as const) {
          const refused = await scope(body);
          assertMatchesContract("POST", "/applications/{client_id}/token/scoped", refused);
          assert.equal(refused.statusCode, status, JSON.stringify(body));
        }
        assert.equal(await worldDigest(t.app.services.db), before);
      });

      it("resets a token: the new one works, the old one is refused", async () => {
        const reset = await asOwner("PATCH", "token", GRANT.third);
        assertMatchesContract("PATCH", "/applications/{client_id}/token", reset);
        assert.equal(reset.statusCode, 200);
        const fresh = reset.json().token;
        assert.match(fresh, /^ghu_[A-Za-z0-9]{36}$/);
        assert.equal(await works(fresh), true);
        assert.equal(await works(GRANT.third), false);
        assert.equal((await asOwner("PATCH", "token", GRANT.third)).statusCode, 422, "a dead token cannot be reset");
      });

      it("deletes one token, then the user's whole grant, audited with GitHub's actions", async () => {
        const deleted = await asOwner("DELETE", "token", GRANT.second);
        assertMatchesContract("DELETE", "/applications/{client_id}/token", deleted);
        assert.equal(deleted.statusCode, 204);
        assert.equal(await works(GRANT.second), false);
        assert.equal(await works(GRANT.first), true, "one token, not the grant");
        const grant = await asOwner("DELETE", "grant", GRANT.first);
        assertMatchesContract("DELETE", "/applications/{client_id}/grant", grant);
        assert.equal(grant.statusCode, 204);
        assert.equal(await works(GRANT.first), false);
        assert.equal(await works(GRANT.oauth), false, "the grant's OAuth token too");
        assert.equal(await works(GRANT.unrelated), true, "another App's token is not in this grant");
        const audit = await t.app.inject({
          method: "GET",
          url: "/enterprises/emu-corp/audit-log?phrase=user:ann_emu&per_page=100",
          headers: bearer(t.tokens.emuInstallation),
        });
        const actions = audit.json().map((event: { action: string }) => event.action);
        assert.equal(actions.filter((action: string) => action === "oauth_access.destroy").length, 6);
        assert.equal(actions.filter((action: string) => action === "oauth_authorization.destroy").length, 1);
        assert.ok(actions.includes("oauth_access.regenerate"));
      });
    });
  });
}
