// The real Octokit client, unmodified, against credauth running as its own process.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Octokit } from "@octokit/core";
import { RequestError } from "@octokit/request-error";
import { type InProcessServer, listenInProcess } from "../helpers/in-process.ts";
import { makeTokens, type Tokens, worldFixture } from "../helpers/world.ts";

describe("Octokit against credauth over HTTP", () => {
  let server: InProcessServer;
  let tokens: Tokens;
  const client = (token: string) => new Octokit({ auth: token, baseUrl: server.url });

  before(async () => {
    tokens = makeTokens();
    server = await listenInProcess({ seed: worldFixture(tokens) });
  });
  after(() => server?.close());

  it("revokes with revoke-all and the revoked token loses access", async () => {
    const before = await client(tokens.annClassic).request("GET /orgs/{org}", { org: "emu-eng" });
    assert.equal(before.status, 200);
    assert.equal(before.data.login, "emu-eng");

    const response = await client(tokens.owenClassic).request(
      "POST /enterprises/{enterprise}/credential-authorizations/revoke-all",
      {
        enterprise: "emu-corp",
        revoke_credentials: true,
        headers: { "x-github-api-version": "2022-11-28" },
      },
    );
    assert.equal(response.status, 202);
    assert.equal(response.data.message, "Credential authorization revocation has been queued");
    assert.equal(
      response.data.warning,
      "The token used for this request may also be revoked or destroyed as part of this operation",
    );
    assert.match(String(response.headers["x-github-request-id"]), /^[0-9A-F:]+$/);

    await assert.rejects(client(tokens.annClassic).request("GET /user"), (error: unknown) => {
      assert.ok(error instanceof RequestError);
      assert.equal(error.status, 401);
      assert.equal((error.response?.data as { message: string } | undefined)?.message, "Bad credentials");
      return true;
    });
    await assert.rejects(client(tokens.annOAuth).request("GET /orgs/{org}", { org: "emu-eng" }), (error: unknown) => {
      assert.ok(error instanceof RequestError);
      assert.equal(error.status, 403);
      assert.match(String(error.response?.headers["x-github-sso"]), /^required; url=/);
      return true;
    });

    // The job, followed through its Location with the first EMU owner's token (never destroyed).
    const location = String(response.headers.location);
    let job = (await client(tokens.emuAdmin).request(`GET ${new URL(location).pathname}`)).data as {
      state: string;
      counts: { authorizations_revoked: { total: number } };
    };
    for (let i = 0; i < 100 && job.state !== "succeeded"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      job = (await client(tokens.emuAdmin).request(`GET ${new URL(location).pathname}`)).data as typeof job;
    }
    assert.equal(job.state, "succeeded");
    assert.equal(job.counts.authorizations_revoked.total, 10);
  });

  it("works unmodified with a GitHub Enterprise Server base URL, /api/v3, and hands back URLs under it", async () => {
    const ghes = (token: string) => new Octokit({ auth: token, baseUrl: `${server.url}/api/v3` });
    const me = await ghes(tokens.cleoClassic).request("GET /user");
    assert.equal(me.data.login, "cleo");
    assert.equal(me.data.url, `${server.url}/api/v3/users/cleo`);

    const revoked = await ghes(tokens.cleoClassic).request(
      "POST /orgs/{org}/credential-authorizations/{username}/revoke",
      { org: "classic-eng", username: "pat" },
    );
    assert.equal(revoked.status, 202);
    const location = String(revoked.headers.location);
    assert.ok(location.startsWith(`${server.url}/api/v3/_credauth/revocations/`), location);
    const job = (await ghes(tokens.cleoClassic).request(`GET ${location}`)).data as {
      url: string;
      scope: { organization: string; username: string };
    };
    assert.deepEqual([job.scope.organization, job.scope.username], ["classic-eng", "pat"]);
    assert.equal(job.url, location, "the job's own url is under /api/v3 too");

    const limits = await ghes(tokens.cleoClassic).request("GET /rate_limit");
    assert.ok(limits.data.resources.core.used >= 3, "the requests above were counted");
    await assert.rejects(ghes(tokens.cleoClassic).request("GET /api/v3x/user"), (error: unknown) => {
      assert.ok(error instanceof RequestError);
      assert.equal(error.status, 404);
      return true;
    });
  });

  it("surfaces GitHub's errors as Octokit RequestErrors", async () => {
    await assert.rejects(
      client(tokens.tedClassic).request(
        "POST /enterprises/{enterprise}/credential-authorizations/{username}/revoke-credential-type",
        {
          enterprise: "classic-corp",
          username: "shared_user",
          credential_type: "classic_pat",
          revoke_credentials: true,
        },
      ),
      (error: unknown) => {
        assert.ok(error instanceof RequestError);
        assert.equal(error.status, 422);
        assert.match(error.message, /only available for Enterprise Managed User/);
        return true;
      },
    );
  });
});
