// The real Octokit client, unmodified, against credauth running as its own process.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Octokit } from "@octokit/core";
import { RequestError } from "@octokit/request-error";
import { migratedDataFolder, type RunningProcess, startServer } from "../helpers/process.ts";
import { makeTokens, type Tokens, worldFixture } from "../helpers/world.ts";

describe("Octokit against a credauth process", () => {
  let dir: string;
  let server: RunningProcess & { url: string };
  let tokens: Tokens;
  const client = (token: string) => new Octokit({ auth: token, baseUrl: server.url });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "credauth-e2e-"));
    tokens = makeTokens();
    writeFileSync(join(dir, "world.json"), JSON.stringify(worldFixture(tokens)));
    server = await startServer(
      ["--data", await migratedDataFolder(join(dir, "data")), "--seed", join(dir, "world.json")],
      {
        CREDAUTH_JOB_POLL_SECONDS: "0.5",
      },
    );
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

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
