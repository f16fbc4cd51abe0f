// GitHub's own App clients, unmodified, against credauth over real HTTP: @octokit/auth-app signs
// JWTs and trades them for installation tokens (by App id or by client id), @octokit/app walks the
// installations and hands out an installation Octokit that revokes, and auth-app's correction for
// clock skew follows credauth's clock through the Date header. The App's key is one credauth
// generated, handed back by startCredauth.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { App } from "@octokit/app";
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/core";
import { type Credauth, startCredauth } from "../../src/harness/index.ts";

const fixture = {
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
    credauth = await startCredauth({ fixture });
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
