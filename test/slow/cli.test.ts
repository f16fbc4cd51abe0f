// The command line as a newcomer uses it: the demo's printed curl, seeding, migrating, refusing.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadMigrations } from "../../src/store/migrate.ts";
import { newTestDatabaseUrl } from "../helpers/backends.ts";
import { migratedDataFolder, startServer } from "../helpers/process.ts";

const BIN = join(import.meta.dirname, "..", "..", "bin", "credauth.js");

function credauth(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    env: { ...process.env, CREDAUTH_LOG_LEVEL: "warn", ...env },
    encoding: "utf8",
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("the credauth command line", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "credauth-cli-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("serve --demo prints a curl that, pasted into a shell, revokes and the token loses access", async () => {
    const server = await startServer(["--data", await migratedDataFolder(join(dir, "demo")), "--demo"]);
    try {
      await server.waitFor(/Then Alice's token is refused[^\n]*\n {2}curl[^\n]*\n/);
      const banner = server.output();
      const health = await fetch(`${server.url}/healthz`);
      assert.equal(health.status, 200);

      const revoke = /\n( {2}curl -si -X POST [\s\S]*?'\{"revoke_credentials": true\}')\n/.exec(banner);
      assert.ok(revoke, `the banner has the revoke curl:\n${banner}`);
      const check = /Then Alice's token is refused[^\n]*\n {2}(curl[^\n]*)\n/.exec(banner);
      assert.ok(check);
      const before = execFileSync("bash", ["-c", check[1]!], { encoding: "utf8" });
      assert.match(before, /"login":"alice_acme"/);
      const revoked = execFileSync("bash", ["-c", revoke[1]!], { encoding: "utf8" });
      assert.match(revoked, /^HTTP\/1\.1 202 Accepted/);
      assert.match(revoked, /location: http:\/\/127\.0\.0\.1:\d+\/_credauth\/revocations\/\d+/i);
      const afterwards = execFileSync("bash", ["-c", check[1]!], { encoding: "utf8" });
      assert.match(afterwards, /"message":"Bad credentials"/);
    } finally {
      await server.stop();
    }
    // A second start on the same folder does not load the demo again, the revocation holds, and
    // the banner says which tokens still work and how to start afresh.
    const again = await startServer(["--data", join(dir, "demo"), "--demo"]);
    try {
      await again.waitFor(/To start the demo afresh: stop credauth and run\n {2}npm run reset\n/);
      const banner = again.output();
      assert.match(banner, /The demo world's tokens, as they stand:/);
      assert.match(banner, /ghp_credauthDemoAliceAcmeLaptop000000000\n\s+DESTROYED: refused everywhere\./);
      assert.match(banner, /ghp_credauthDemoOliviaAcmeOwner000000000\n\s+works; SSO-authorized for acme-eng\./);
      assert.match(banner, /ghp_credauthDemoDaveGlobex00000000000000\n\s+works; SSO-authorized for globex-labs\./);
      assert.doesNotMatch(banner, /Alice's token works now/, "no curl for a token that no longer works");
      const response = await fetch(`${again.url}/user`, {
        headers: { authorization: "Bearer ghp_credauthDemoAliceAcmeLaptop000000000" },
      });
      assert.equal(response.status, 401);
    } finally {
      await again.stop();
    }

    // `credauth reset` (npm run reset) brings the demo back as it was first loaded.
    const reset = credauth(["reset", "--data", join(dir, "demo")]);
    assert.equal(reset.code, 0, reset.stderr);
    assert.match(reset.stdout, /Reset .*demo: the demo world, as on the first `npm start`\./);
    const fresh = await startServer(["--data", join(dir, "demo"), "--demo"]);
    try {
      await fresh.waitFor(/npm run reset\n/);
      assert.match(
        fresh.output(),
        /ghp_credauthDemoAliceAcmeLaptop000000000\n\s+works; SSO-authorized for acme-eng, acme-web\./,
      );
      const alice = await fetch(`${fresh.url}/user`, {
        headers: { authorization: "Bearer ghp_credauthDemoAliceAcmeLaptop000000000", "user-agent": "cli-test" },
      });
      assert.equal(alice.status, 200);
    } finally {
      await fresh.stop();
    }
    const fixture = join(dir, "reset.yaml");
    writeFileSync(
      fixture,
      "users:\n  - login: only_one\n    credentials:\n      - type: classic_pat\n        note: made\n",
    );
    const toFixture = credauth([
      "reset",
      "--data",
      join(dir, "demo"),
      "--fixture",
      fixture,
      "--tokens-file",
      join(dir, "reset.tsv"),
    ]);
    assert.equal(toFixture.code, 0, toFixture.stderr);
    assert.match(toFixture.stdout, /1 generated tokens written to .*reset\.tsv/);
    assert.match(toFixture.stdout, /Reset .*demo: loaded .*reset\.yaml\./);
  });

  it("seed refuses a bad fixture with every problem and its line in one run, and loads nothing; a good one writes generated tokens to a new 0600 file, once", async () => {
    const data = await migratedDataFolder(join(dir, "seeded"));
    writeFileSync(
      join(dir, "bad.yaml"),
      [
        "users:",
        "  - login: ok_user",
        "  - login: bad",
        "    credentials:",
        "      - type: classic_pat",
        "        token: ghp_nope", // 6: malformed token
        "      - type: classic_pat",
        "        scopes: [admin:enterpise]", // 8: misspelt scope
        "        authorized_orgs: [nowhere-org]", // 9: an organization declared nowhere
        "",
      ].join("\n"),
    );
    const bad = credauth(["seed", join(dir, "bad.yaml"), "--data", data]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad\.yaml: 3 problems:/);
    assert.match(
      bad.stderr,
      /bad\.yaml:6: users\[1\]\.credentials\[0\]\.token: is not a well-formed classic_pat token/,
    );
    assert.match(
      bad.stderr,
      /bad\.yaml:8: users\[1\]\.credentials\[1\]\.scopes\[0\]: "admin:enterpise" is not a GitHub scope/,
    );
    assert.match(
      bad.stderr,
      /bad\.yaml:9: users\[1\]\.credentials\[1\]\.authorized_orgs\[0\]: organization "nowhere-org" is not declared in any enterprise/,
    );
    assert.ok(!bad.stderr.includes("ghp_nope"));

    writeFileSync(
      join(dir, "good.yaml"),
      "enterprises:\n  - slug: cli\n    organizations:\n      - login: cli-org\n        members: [cli_user]\napps:\n  - slug: cli-app\n    owner: cli\n    installations:\n      - account: cli-org\nusers:\n  - login: cli_user\n    credentials:\n      - type: classic_pat\n        note: generated\n        authorized_orgs: [cli-org]\n",
    );
    const tokensFile = join(dir, "generated.tsv");
    const good = credauth(["seed", join(dir, "good.yaml"), "--data", data, "--tokens-file", tokensFile], {
      CREDAUTH_LOG_LEVEL: "info",
    });
    assert.equal(good.code, 0, good.stderr);
    // Not a terminal: progress as sentences on stderr, from none of the users to all; no log lines.
    assert.deepEqual(
      good.stderr.split("\n").filter((line) => line.startsWith("Loading ")),
      [
        `Loading ${join(dir, "good.yaml")}: 0 % (0 of 1 users)`,
        `Loading ${join(dir, "good.yaml")}: 100 % (1 of 1 users)`,
      ],
    );
    assert.ok(!`${good.stdout}${good.stderr}`.includes('"msg"'), `no JSON log line: ${good.stdout}${good.stderr}`);
    assert.match(good.stdout, /1 enterprises, 1 organizations, 2 users, 1 credentials, 1 SSO authorizations added/);
    assert.match(good.stdout, /2 generated tokens written to .*generated\.tsv/);
    assert.doesNotMatch(good.stdout, /gh[pousr]_|PRIVATE KEY/, "no token or key reaches the terminal");
    assert.equal(statSync(tokensFile).mode & 0o777, 0o600);
    const written = readFileSync(tokensFile, "utf8");
    assert.match(written, /\ncli_user\tclassic_pat\tgenerated\tghp_[A-Za-z0-9]{36}\n/);
    // The App's generated secret in a row; its private key in a PEM file of its own, named in a row.
    assert.match(
      written,
      /\ncli-app\[bot\]\tgithub_app_client_secret\tGitHub App cli-app \(id 1001, client id Iv23li[0-9a-f]{14}\)\t[0-9a-f]{40}\n/,
    );
    const keyFile = join(dir, "generated.cli-app.pem");
    assert.ok(written.includes(`\tgithub_app_private_key\t`) && written.includes(keyFile), written);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.match(readFileSync(keyFile, "utf8"), /^-----BEGIN RSA PRIVATE KEY-----\n/);

    const again = credauth(["seed", join(dir, "good.yaml"), "--data", data, "--tokens-file", join(dir, "again.tsv")]);
    assert.match(again.stdout, /0 enterprises, 0 organizations, 0 users, 0 credentials, 0 SSO authorizations added/);
    assert.ok(!again.stdout.includes("generated tokens"));
    assert.ok(!existsSync(join(dir, "again.tsv")), "no tokens, no file");
    const taken = credauth(["seed", join(dir, "good.yaml"), "--data", data, "--tokens-file", tokensFile]);
    assert.equal(taken.code, 2, "an existing tokens file is never overwritten");
    assert.match(taken.stderr, /--tokens-file .* cannot be created \(EEXIST\)/);
  });

  it("migrate brings a database up to date and then says so", async () => {
    // A fresh PostgreSQL database where the run has one: an embedded one spends seconds in initdb,
    // which the test template (built by the same migrate()) pays once per run already.
    const postgres = await newTestDatabaseUrl();
    const target: { args: string[]; env: Record<string, string> } = postgres
      ? { args: [], env: { DATABASE_URL: postgres.url } }
      : { args: ["--data", join(dir, "migrated")], env: {} };
    try {
      migrateTwice(target);
    } finally {
      await postgres?.drop();
    }
  });

  function migrateTwice(target: { args: string[]; env: Record<string, string> }) {
    const first = credauth(["migrate", ...target.args], target.env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stdout,
      new RegExp(
        `Applied migrations ${loadMigrations()
          .map((m) => m.version)
          .join(", ")}\\.`,
      ),
    );
    assert.match(credauth(["migrate", ...target.args], target.env).stdout, /The database is up to date\./);
  }

  it("explains configuration mistakes and exits 2", () => {
    const worker = credauth(["worker", "--data", join(dir, "w")]);
    assert.equal(worker.code, 2);
    assert.match(worker.stderr, /needs a shared PostgreSQL database/);
    const url = credauth(["migrate", "--database-url", "mysql://x"]);
    assert.equal(url.code, 2);
    assert.match(url.stderr, /must be a postgres:\/\/ URL/);
    const port = credauth(["serve", "--port", "99999", "--data", join(dir, "p")]);
    assert.equal(port.code, 2);
    assert.match(port.stderr, /--port \/ PORT must be a whole number from 0 to 65535/);
  });

  it("re-runs itself with the project's Node 24 when started by an older Node", {
    skip: !existsSystemNode() ? "no system node on PATH" : false,
  }, () => {
    const result = spawnSync("/usr/bin/env", ["-i", `PATH=${systemPath()}`, "node", BIN, "--help"], {
      encoding: "utf8",
    });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /serve/);
  });
});

function systemPath(): string {
  return (process.env.PATH ?? "")
    .split(":")
    .filter((p) => !p.includes("node_modules"))
    .join(":");
}

function existsSystemNode(): boolean {
  return spawnSync("/usr/bin/env", ["-i", `PATH=${systemPath()}`, "node", "--version"]).status === 0;
}
