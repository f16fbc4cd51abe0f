// GitHub's own clients, unmodified, against credauth as they would be against GitHub Enterprise
// Server: HTTPS (a self-signed certificate credauth made, trusted through the variable it names for
// each client: gh SSL_CERT_FILE, curl CURL_CA_BUNDLE, requests REQUESTS_CA_BUNDLE, Node
// NODE_EXTRA_CA_CERTS) and the /api/v3 base path. `gh` (Debian's package) with GH_HOST and
// GH_ENTERPRISE_TOKEN; PyGithub (Debian's python3-github, in /usr/bin/python3) with a base URL.
// One server for both: each process start costs the suite a second of CPU.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { migratedDataFolder, type RunningProcess, startServer } from "../helpers/process.ts";
import { makeTokens, type Tokens, worldFixture } from "../helpers/world.ts";

const PYTHON = "/usr/bin/python3";
const APP_KEY = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
}).privateKey;
const clients = {
  gh: spawnSync("gh", ["--version"]).status === 0,
  "python3-github": spawnSync(PYTHON, ["-c", "import github"]).status === 0,
};
const absent = Object.keys(clients).filter((name) => !clients[name as keyof typeof clients]);
// CI installs both (.ci/run): there, a missing client is a failure, not a skip.
const missing =
  absent.length === 0 || process.env.CI
    ? false
    : `not installed: ${absent.join(", ")} (apt-get install); CI installs them`;

describe("GitHub's clients against a credauth process over HTTPS", { skip: missing }, () => {
  let dir: string;
  let server: RunningProcess & { url: string };
  let tokens: Tokens;

  before(async () => {
    assert.deepEqual(absent, [], "gh and python3-github must be installed for this test (apt-get install)");
    dir = mkdtempSync(join(tmpdir(), "credauth-gh-"));
    tokens = makeTokens();
    // An App installed on the enterprise, whose key the test holds (PyGithub signs in with it).
    const apps = [
      {
        slug: "clients-responder",
        owner: "emu-corp",
        id: 7007,
        private_key: APP_KEY,
        permissions: { enterprise_credentials: "write", enterprise_administration: "read" },
        installations: [{ account: "emu-corp" }],
      },
    ];
    writeFileSync(join(dir, "world.json"), JSON.stringify({ ...worldFixture(tokens), apps }));
    const data = await migratedDataFolder(join(dir, "credauth", "data"));
    server = await startServer(["--data", data, "--seed", join(dir, "world.json"), "--tls-self-signed"]);
  });
  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** `gh api …` as a user of GitHub Enterprise Server runs it; the token only in the environment. */
  function gh(token: string, args: string[]) {
    const result = spawnSync("gh", ["api", ...args], {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: dir,
        GH_CONFIG_DIR: join(dir, "gh"),
        GH_HOST: new URL(server.url).host,
        GH_ENTERPRISE_TOKEN: token,
        SSL_CERT_FILE: join(dir, "credauth", "tls", "cert.pem"),
        GH_PROMPT_DISABLED: "1",
        NO_COLOR: "1",
      },
      encoding: "utf8",
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  it("serves HTTPS with the self-signed certificate it made, and each trust variable it names works", () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const line = /TLS: .*self-signed certificate .*tls\/cert\.pem; trust it with (.*)\.$/m.exec(server.output());
    assert.ok(line, server.output());
    const trust = new Map(
      [...line[1]!.matchAll(/(\w+)=(\S+) \(([^)]+)\)/g)].map((m) => [m[3]!, [m[1]!, m[2]!] as const]),
    );
    assert.deepEqual([...trust.keys()].sort(), ["Node", "Python requests", "curl", "gh"]);
    const url = `${server.url}/user`;
    const clients: [string, string[]][] = [
      ["curl", ["curl", "-sf", "-A", "test", "-H", `Authorization: Bearer ${tokens.cleoClassic}`, url]],
      [
        "Python requests",
        [
          "/usr/bin/python3",
          "-c",
          `import requests,sys; r=requests.get(${JSON.stringify(url)}, headers={"Authorization": "Bearer ${tokens.cleoClassic}"}); print(r.text)`,
        ],
      ],
      [
        "Node",
        [
          process.execPath,
          "-e",
          `fetch(${JSON.stringify(url)}, {headers: {authorization: "Bearer ${tokens.cleoClassic}", "user-agent": "test"}}).then(r => r.text()).then(console.log)`,
        ],
      ],
    ];
    for (const [client, [command, ...args]] of clients) {
      const [variable, file] = trust.get(client)!;
      const result = spawnSync(command!, args, {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", [variable]: file },
        encoding: "utf8",
      });
      assert.equal(result.status, 0, `${client} with ${variable}: ${result.stderr}`);
      assert.match(result.stdout, /"login":\s*"cleo"/, `${client} with ${variable}`);
    }
  });

  it("answers gh api /user", () => {
    const result = gh(tokens.cleoClassic, ["/user"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).login, "cleo");
  });

  it("pages with gh api --paginate through the organization list and the audit log", () => {
    const list = gh(tokens.cleoClassic, ["--paginate", "/orgs/classic-eng/credential-authorizations?per_page=1"]);
    assert.equal(list.code, 0, list.stderr);
    const logins = [...list.stdout.matchAll(/"login":"([^"]+)"/g)].map((m) => m[1]);
    assert.ok(logins.length >= 3, `every page was followed: ${logins.join(", ")}`);

    const members = gh(tokens.cleoClassic, ["--paginate", "/orgs/classic-eng/members?per_page=1"]);
    assert.equal(members.code, 0, members.stderr);
    assert.deepEqual([...members.stdout.matchAll(/"login":"([^"]+)"/g)].map((m) => m[1]).sort(), [
      "cleo",
      "pat",
      "shared_user",
    ]);

    const audit = gh(tokens.cleoClassic, ["--paginate", "/orgs/classic-eng/audit-log?per_page=2"]);
    assert.equal(audit.code, 0, audit.stderr);
    const events = [...audit.stdout.matchAll(/"action":"/g)].length;
    assert.ok(events > 2, `more than one page of events: ${events}`);
  });

  it("revokes with gh api -X POST, and the revoked token meets SAML enforcement", () => {
    const revoked = gh(tokens.cleoClassic, ["-X", "POST", "/orgs/classic-eng/credential-authorizations/pat/revoke"]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(
      JSON.parse(revoked.stdout).message,
      "Credential authorization revocation for user 'pat' has been queued",
    );
    const refused = gh(tokens.patOAuth, ["/orgs/classic-eng"]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stdout + refused.stderr, /SAML enforcement/);
  });

  /** pygithub_session.py against `base`; `revoke` lets it revoke the member's authorizations too. */
  function pygithub(base: string, revoke: boolean) {
    const result = spawnSync(PYTHON, [join(import.meta.dirname, "clients", "pygithub_session.py")], {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        CREDAUTH_API: base,
        REQUESTS_CA_BUNDLE: join(dir, "credauth", "tls", "cert.pem"),
        OWNER_TOKEN: tokens.cleoClassic,
        MEMBER_TOKEN: tokens.sharedClassic,
        KEYS_TOKEN: tokens.cleoKeys,
        ORG: "classic-eng",
        MEMBER: "shared_user",
        REVOKE: revoke ? "1" : "0",
      },
      encoding: "utf8",
    });
    assert.equal(result.status, 0, result.stderr);
    return JSON.parse(result.stdout);
  }

  it("PyGithub's GithubIntegration signs in as the App and revokes with its installation token; gh uses one too", () => {
    const installationId = 40000001; // the first installation of a fresh world
    const result = spawnSync(PYTHON, [join(import.meta.dirname, "clients", "pygithub_app.py")], {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        CREDAUTH_API: `${server.url}/api/v3`,
        REQUESTS_CA_BUNDLE: join(dir, "credauth", "tls", "cert.pem"),
        APP_ID: "7007",
        APP_PRIVATE_KEY: APP_KEY,
        INSTALLATION_ID: String(installationId),
        ENTERPRISE: "emu-corp",
        MEMBER: "mel_emu",
      },
      encoding: "utf8",
    });
    assert.equal(result.status, 0, result.stderr);
    const seen = JSON.parse(result.stdout);
    assert.equal(seen.token_prefix, "ghs_");
    assert.deepEqual(seen.permissions, { enterprise_credentials: "write", enterprise_administration: "read" });
    const hours = (Date.parse(seen.expires_at) - Date.now()) / 3_600_000;
    assert.ok(hours > 0.95 && hours <= 1.01, `expires in ${hours} h`);
    assert.equal(seen.revoke_message, "Credential authorization revocation for user 'mel_emu' has been queued");
    // gh api with an installation token reads the enterprise audit log: the App's installation is in it.
    const audit = gh(seen.token_for_gh, ["/enterprises/emu-corp/audit-log?phrase=action:integration_installation"]);
    assert.equal(audit.code, 0, audit.stderr);
    assert.deepEqual(
      JSON.parse(audit.stdout).map((event: { action: string }) => event.action),
      ["integration_installation.create"],
    );
  });

  it("Octokit over HTTPS, at the root and under /api/v3, with the certificate in NODE_EXTRA_CA_CERTS", () => {
    const result = spawnSync(process.execPath, [join(import.meta.dirname, "clients", "octokit_session.ts")], {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        NODE_EXTRA_CA_CERTS: join(dir, "credauth", "tls", "cert.pem"),
        CREDAUTH_URL: server.url,
        OWNER_TOKEN: tokens.cleoClassic,
        ORG: "classic-eng",
      },
      encoding: "utf8",
    });
    assert.equal(result.status, 0, result.stderr);
    const seen = JSON.parse(result.stdout);
    for (const [name, base] of [
      ["root", server.url],
      ["ghes", `${server.url}/api/v3`],
    ] as const) {
      assert.equal(seen[name].login, "cleo");
      assert.equal(seen[name].url, `${base}/users/cleo`);
      assert.match(seen[name].etag, /^W\/"[0-9a-f]{64}"$/);
      assert.deepEqual(seen[name].orgs, ["classic-eng"]);
      assert.deepEqual(seen[name].admins, ["cleo"]);
    }
  });

  it("PyGithub at the root reads the user, their organizations, members and SSH keys", () => {
    const seen = pygithub(server.url, false);
    assert.equal(seen.owner_login, "cleo");
    assert.deepEqual(seen.owner_orgs, ["classic-eng"]);
    assert.deepEqual(seen.members, ["cleo", "pat", "shared_user"]);
    assert.deepEqual(seen.key_titles, ["desktop"]);
  });

  it("PyGithub under /api/v3 paces itself by /rate_limit, revokes through its requester, and meets SAML enforcement", () => {
    const seen = pygithub(`${server.url}/api/v3`, true);
    assert.equal(seen.owner_login, "cleo");
    assert.equal(seen.member_login, "shared_user");
    assert.equal(seen.org_login, "classic-eng");
    assert.equal(seen.core_limit, 5000);
    assert.ok(seen.core_remaining < 5000 && seen.core_remaining > 4900, `remaining ${seen.core_remaining}`);
    assert.equal(seen.revoke_message, "Credential authorization revocation for user 'shared_user' has been queued");
    assert.ok(String(seen.location).startsWith(`${server.url}/api/v3/_credauth/revocations/`), seen.location);
    assert.equal(seen.member_after, 403);
    assert.match(seen.member_after_message, /SAML enforcement/);
  });
});
