// PyGithub, GitHub's most used Python client, unmodified, in enterprise mode (/api/v3) against a
// credauth process: reads, the rate limit, a revocation through its requester, and SAML
// enforcement on the revoked token afterwards. Debian's python3-github, in /usr/bin/python3.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { migratedDataFolder, type RunningProcess, startServer } from "../helpers/process.ts";
import { makeTokens, type Tokens, worldFixture } from "../helpers/world.ts";

const PYTHON = "/usr/bin/python3";
const installed = spawnSync(PYTHON, ["-c", "import github"]).status === 0;
// CI installs python3-github (.ci/run): there, a missing client is a failure, not a skip.
const missing = installed
  ? false
  : process.env.CI
    ? false
    : "python3-github is not installed (apt-get install python3-github); CI installs it";

describe("PyGithub against a credauth process", { skip: missing }, () => {
  let dir: string;
  let server: RunningProcess & { url: string };
  let tokens: Tokens;

  before(async () => {
    assert.ok(installed, "python3-github must be installed for this test (apt-get install python3-github)");
    dir = mkdtempSync(join(tmpdir(), "credauth-pygithub-"));
    tokens = makeTokens();
    writeFileSync(join(dir, "world.json"), JSON.stringify(worldFixture(tokens)));
    server = await startServer([
      "--data",
      await migratedDataFolder(join(dir, "data")),
      "--seed",
      join(dir, "world.json"),
    ]);
  });
  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("reads, paces itself by /rate_limit, revokes through its requester, and meets SAML enforcement", () => {
    const result = spawnSync(PYTHON, [join(import.meta.dirname, "clients", "pygithub_session.py")], {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        CREDAUTH_API: `${server.url}/api/v3`,
        OWNER_TOKEN: tokens.cleoClassic,
        MEMBER_TOKEN: tokens.patOAuth,
        ORG: "classic-eng",
        MEMBER: "pat",
      },
      encoding: "utf8",
    });
    assert.equal(result.status, 0, result.stderr);
    const seen = JSON.parse(result.stdout);
    assert.equal(seen.owner_login, "cleo");
    assert.equal(seen.member_login, "pat");
    assert.equal(seen.org_login, "classic-eng");
    assert.equal(seen.core_limit, 5000);
    assert.ok(seen.core_remaining < 5000 && seen.core_remaining > 4990, `remaining ${seen.core_remaining}`);
    assert.equal(seen.revoke_message, "Credential authorization revocation for user 'pat' has been queued");
    assert.ok(String(seen.location).startsWith(`${server.url}/api/v3/_credauth/revocations/`), seen.location);
    assert.equal(seen.member_after, 403);
    assert.match(seen.member_after_message, /SAML enforcement/);
  });
});
