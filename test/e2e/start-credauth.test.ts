// startCredauth from test code, as a suite uses it: credauth in this process over real HTTP, its
// fixture's generated tokens handed back, reset, snapshots, the clock, faults that Octokit's retry
// plugin rides out, the journal of what was called, a user's standing, and two instances that
// share nothing; then GitHub's App clients against a fixture's App (below).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { App } from "@octokit/app";
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/core";
import { retry } from "@octokit/plugin-retry";
import { type Credauth, HarnessError, startCredauth } from "../../src/harness/index.ts";

const DAY_MS = 86_400_000;

const fixture = {
  enterprises: [
    {
      slug: "initech",
      emu: true,
      owners: ["bill"],
      organizations: [{ login: "initech-eng", owners: ["bill"], members: ["peter", "constructor"] }],
    },
  ],
  users: [
    { login: "bill", credentials: [{ type: "classic_pat", note: "owner", scopes: ["admin:enterprise"] }] },
    {
      login: "peter",
      credentials: [
        { type: "classic_pat", note: "laptop", scopes: ["repo"], authorized_orgs: ["initech-eng"] },
        {
          type: "classic_pat",
          note: "expiring",
          scopes: ["repo"],
          expires_at: new Date(Date.now() + 5 * DAY_MS).toISOString(),
        },
      ],
    },
    { login: "constructor", credentials: [{ type: "fine_grained_pat", note: "a login like a prototype key" }] },
  ],
};

describe("startCredauth", () => {
  let credauth: Credauth;
  before(async () => (credauth = await startCredauth({ fixture })));
  after(() => credauth.stop());

  const token = (login: string, note: string) => credauth.tokens[login]!.find((t) => t.note === note)!.token;
  const user = (t: string) =>
    fetch(`${credauth.url}/user`, { headers: { authorization: `Bearer ${t}`, "user-agent": "harness-test" } });
  const revokePeter = () =>
    fetch(`${credauth.url}/enterprises/initech/credential-authorizations/peter/revoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${token("bill", "owner")}`, "user-agent": "harness-test" },
      body: JSON.stringify({ revoke_credentials: true }),
    });

  it("serves the fixture over HTTP and hands back every token it generated, by login", async () => {
    assert.match(credauth.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(Object.keys(credauth.tokens).sort(), ["bill", "constructor", "peter"]);
    assert.deepEqual(
      credauth.tokens.peter!.map((t) => [t.type, t.note]),
      [
        ["classic_pat", "laptop"],
        ["classic_pat", "expiring"],
      ],
    );
    const [, prototypeLike] = Object.entries(credauth.tokens).find(([login]) => login === "constructor")!;
    assert.equal(prototypeLike[0]!.type, "fine_grained_pat");
    const me = await user(token("peter", "laptop"));
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as { login: string }).login, "peter");
  });

  it("resets: a destroyed token works again", async () => {
    assert.equal((await revokePeter()).status, 202);
    assert.equal((await user(token("peter", "laptop"))).status, 401);
    await credauth.reset();
    assert.equal((await user(token("peter", "laptop"))).status, 200);
  });

  it("saves and restores snapshots, and refuses an unknown one with a HarnessError", async () => {
    await credauth.snapshot("clean");
    assert.equal((await revokePeter()).status, 202);
    await credauth.snapshot("revoked");
    await credauth.restore("clean");
    assert.equal((await user(token("peter", "laptop"))).status, 200);
    await credauth.restore("revoked");
    assert.equal((await user(token("peter", "laptop"))).status, 401);
    await assert.rejects(credauth.restore("never-taken"), (error: unknown) => {
      assert.ok(error instanceof HarnessError);
      assert.equal(error.status, 404);
      return true;
    });
    await credauth.reset();
  });

  it("moves the clock: a token due in five days is refused ten days on, until the reset", async () => {
    const expiring = token("peter", "expiring");
    assert.equal((await user(expiring)).status, 200);
    const before = credauth.clock.now().getTime();
    const now = await credauth.clock.advance("10d");
    assert.ok(Math.abs(now.getTime() - before - 10 * DAY_MS) < 60_000);
    assert.equal((await user(expiring)).status, 401);
    await assert.rejects(credauth.clock.set(new Date().toISOString()), /forward only/);
    await credauth.reset();
    assert.ok(Math.abs(credauth.clock.now().getTime() - Date.now()) < 5_000);
    assert.equal((await user(expiring)).status, 200);
  });

  it("injects faults a bot's retries ride out, and journals what it called", async () => {
    const sinceId = (await credauth.requests()).at(-1)?.id ?? 0;
    const rule = await credauth.faults.add({ method: "GET", path: "/user", status: 502, times: 2 });
    assert.deepEqual(await credauth.faults.list(), [rule]);
    const RetryingOctokit = Octokit.plugin(retry);
    const bot = new RetryingOctokit({
      auth: token("peter", "laptop"),
      baseUrl: credauth.url,
      retry: { retryAfterBaseValue: 10 },
    });
    const { data } = await bot.request("GET /user");
    assert.equal(data.login, "peter");
    const calls = await credauth.requests({ path: "/user", since_id: sinceId });
    assert.deepEqual(
      calls.map((call) => [call.status, call.fault, call.actor]),
      [
        [502, rule.id, null],
        [502, rule.id, null],
        [200, null, "peter"],
      ],
      "two injected 502s, then the real answer",
    );
    assert.deepEqual(await credauth.faults.list(), [], "used up");
    await credauth.faults.add({ status: "secondary_rate_limit" });
    assert.equal((await user(token("peter", "laptop"))).status, 403);
    await credauth.faults.clear();
    assert.equal((await user(token("peter", "laptop"))).status, 200);
    await assert.rejects(credauth.faults.add({ status: 418 as 500 }), /properties\/status/);
    await credauth.reset();
    assert.deepEqual(await credauth.requests(), []);
  });

  it("shows a user's credentials as every read sees them", async () => {
    const before = await credauth.user("peter");
    assert.deepEqual(
      before!.credentials.map((c) => [c.note, c.state]),
      [
        ["expiring", "live"],
        ["laptop", "live"],
      ],
    );
    assert.equal(before!.credentials[1]!.authorizations[0]!.organization, "initech-eng");
    assert.equal((await revokePeter()).status, 202);
    const after = await credauth.user("peter");
    assert.deepEqual(
      after!.credentials.map((c) => c.state),
      ["destroyed", "destroyed"],
    );
    assert.equal(await credauth.user("nobody"), null);
    await credauth.reset();
  });

  it("runs a second instance that shares nothing with the first, started at a time of its own", async () => {
    const other = await startCredauth({ fixture, clock: "2030-06-01T00:00:00Z" });
    assert.ok(Math.abs(other.clock.now().getTime() - Date.parse("2030-06-01T00:00:00Z")) < 60_000);
    await assert.rejects(startCredauth({ clock: "next tuesday" }), /--clock must be an ISO 8601 time/);
    try {
      assert.notEqual(other.url, credauth.url);
      assert.notEqual(other.adminToken, credauth.adminToken);
      const otherPeter = other.tokens.peter![0]!.token;
      assert.notEqual(otherPeter, token("peter", "laptop"), "each generates its own tokens");
      assert.equal((await revokePeter()).status, 202);
      const there = await fetch(`${other.url}/user`, {
        headers: { authorization: `Bearer ${otherPeter}`, "user-agent": "harness-test" },
      });
      assert.equal(there.status, 200, "the other instance's peter is untouched");
      assert.ok(Math.abs(credauth.clock.now().getTime() - Date.now()) < 5_000, "each has its own clock");
    } finally {
      await other.stop();
      await credauth.reset();
    }
  });
});

// GitHub's own App clients, unmodified, against a second instance (in the same process it starts in
// well under a second): @octokit/auth-app signs JWTs and trades them for installation tokens (by
// App id or by client id), @octokit/app walks the installations and hands out an installation
// Octokit that revokes, and auth-app's correction for clock skew follows credauth's clock through
// the Date header. The App's key is one credauth generated, handed back by startCredauth.
const appsFixture = {
  enterprises: [
    {
      slug: "hooli",
      emu: true,
      owners: ["gavin"],
      organizations: [{ login: "hooli-xyz", owners: ["gavin"], members: ["richard", "dinesh"] }],
    },
  ],
  apps: [
    {
      slug: "hooli-responder",
      owner: "hooli",
      permissions: { enterprise_credentials: "write", organization_administration: "write" },
      installations: [
        { account: "hooli", permissions: { enterprise_credentials: "write" } },
        { account: "hooli-xyz", permissions: { organization_administration: "write" } },
      ],
    },
  ],
  users: [
    { login: "gavin", credentials: [{ type: "classic_pat", note: "owner", scopes: ["admin:enterprise"] }] },
    {
      login: "richard",
      credentials: [{ type: "classic_pat", note: "laptop", scopes: ["repo"], authorized_orgs: ["hooli-xyz"] }],
    },
    {
      login: "dinesh",
      credentials: [{ type: "classic_pat", note: "laptop", scopes: ["repo"], authorized_orgs: ["hooli-xyz"] }],
    },
  ],
};

describe("GitHub App clients against credauth", () => {
  let credauth: Credauth;
  let responder: Credauth["apps"][string];
  const enterpriseInstallation = () => responder.installations.find((i) => i.account === "hooli")!.id;

  before(async () => {
    credauth = await startCredauth({ fixture: appsFixture });
    responder = credauth.apps["hooli-responder"]!;
  });
  after(() => credauth?.stop());

  it("hands back the App credauth generated, with where it is installed", () => {
    assert.match(responder.privateKey, /^-----BEGIN RSA PRIVATE KEY-----/);
    assert.match(responder.clientSecret, /^[0-9a-f]{40}$/);
    assert.deepEqual(responder.installations.map((i) => i.account).sort(), ["hooli", "hooli-xyz"]);
  });

  it("@octokit/auth-app: an installation Octokit revokes a user in the enterprise", async () => {
    const octokit = new Octokit({
      baseUrl: credauth.url,
      authStrategy: createAppAuth,
      auth: { appId: responder.id, privateKey: responder.privateKey, installationId: enterpriseInstallation() },
    });
    const revoke = await octokit.request("POST /enterprises/{enterprise}/credential-authorizations/{username}/revoke", {
      enterprise: "hooli",
      username: "richard",
    });
    assert.equal(revoke.status, 202);
    const job = await octokit.request(`GET ${revoke.headers.location}`);
    assert.equal(job.data.requester.login, "hooli-responder[bot]");
    // The journal names who minted the token: the App, by its JWT.
    const [minted] = await credauth.requests({ path: `/app/installations/${enterpriseInstallation()}/access_tokens` });
    assert.equal(minted?.token_type, "github_app_jwt");
    assert.equal(minted?.actor, "hooli-responder[bot]");
    // The token it minted has the installation's permissions, and lives an hour.
    const auth = (await octokit.auth({ type: "installation" })) as { permissions: object; expiresAt: string };
    assert.deepEqual(auth.permissions, { enterprise_credentials: "write" });
    const hours = (Date.parse(auth.expiresAt) - credauth.clock.now().getTime()) / 3_600_000;
    assert.ok(hours > 0.99 && hours <= 1, `${hours} h`);
  });

  it("@octokit/auth-app signs in by client id too", async () => {
    const octokit = new Octokit({
      baseUrl: credauth.url,
      authStrategy: createAppAuth,
      auth: { appId: responder.clientId, privateKey: responder.privateKey },
    });
    const { data } = await octokit.request("GET /app");
    assert.equal(data?.slug, "hooli-responder");
  });

  it("@octokit/app walks the installations and revokes in an organization as one of them", async () => {
    const app = new App({
      appId: responder.id,
      privateKey: responder.privateKey,
      Octokit: Octokit.defaults({ baseUrl: credauth.url }),
    });
    const seen: string[] = [];
    for await (const { installation } of app.eachInstallation.iterator())
      seen.push(String((installation.account as { login?: string })?.login));
    assert.deepEqual(seen.sort(), ["hooli", "hooli-xyz"]);
    const { data: installation } = await app.octokit.request("GET /orgs/{org}/installation", { org: "hooli-xyz" });
    const octokit = await app.getInstallationOctokit(installation.id);
    const revoke = await octokit.request("POST /orgs/{org}/credential-authorizations/{username}/revoke", {
      org: "hooli-xyz",
      username: "dinesh",
    });
    assert.equal(revoke.status, 202);
    // The installation token revokes itself; then it is refused. (Asked without auth-app, which
    // retries a 401 for five seconds after a token is made, for GitHub's replication delay.)
    const { token } = (await octokit.auth({ type: "installation" })) as { token: string };
    await octokit.request("DELETE /installation/token");
    const plain = new Octokit({ baseUrl: credauth.url, auth: token });
    await assert.rejects(plain.request("GET /orgs/{org}/credential-authorizations", { org: "hooli-xyz" }), {
      status: 401,
    });
  });

  it("follows credauth's clock: a JWT off by hours is refused, then corrected by the Date header", async () => {
    await credauth.clock.advance("3h");
    try {
      const warnings: string[] = [];
      const octokit = new Octokit({
        baseUrl: credauth.url,
        authStrategy: createAppAuth,
        auth: {
          appId: responder.id,
          privateKey: responder.privateKey,
          log: { warn: (message: string) => warnings.push(message) },
        },
      });
      const { data } = await octokit.request("GET /app");
      assert.equal(data?.id, responder.id);
      assert.ok(
        warnings.some((warning) => /'Issued at' claim|'Expiration time' claim/.test(warning)),
        `auth-app retried after GitHub's time refusal: ${warnings.join(" | ")}`,
      );
    } finally {
      await credauth.reset();
    }
  });
});
