// A credential type is one entry of src/domain/credential-types.ts. This test copies the sources,
// adds a fictional type there — and nowhere else — and follows it through: its tokens
// authenticate with their scopes, fixtures accept them, the organization lists them under their
// label, the credential-type revocation takes them with revoke_credentials, dry runs and the job
// count them, they stop authenticating, and the audit log records their label and destroy action.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

const ROOT = join(import.meta.dirname, "..", "..");

const FICTIONAL_ENTRY = `
  example_token: {
    prefix: "ghx_",
    shape: "short",
    limitedBy: "scopes",
    reaches: null,
    deniedAs: null,
    revocableByType: true,
    destroyable: true,
    destroyedAction: "example_token.destroy",
    alsoRecordedOnRevoke: null,
    auditLabel: "Example token",
    listLabel: "example token",
    ssoLabel: "Personal Access token",
    accessKind: "classic",
    ssoAuthorizable: true,
    valueRevocationAction: "example_token.destroy",
  },
`;

/** Runs in the copy: a world with one example token, then everything the type touches. */
const PROBE = `
import { parseConfig } from "./src/config.ts";
import { generateToken } from "./src/domain/tokens.ts";
import { parseFixture } from "./src/domain/fixture.ts";
import { buildApp } from "./src/http/app.ts";
import { applyFixture } from "./src/store/seed.ts";

const owner = generateToken("classic_pat");
const example = generateToken("example_token");
const app = await buildApp(parseConfig({ data: ":memory:", logLevel: "silent", rateLimit: "off", jobPollSeconds: "0.5" }, {}));
await applyFixture(app.services.db, parseFixture(JSON.stringify({
  enterprises: [{ slug: "ex", emu: true, owners: ["ex_admin", "olive"], organizations: [{ login: "ex-org", owners: ["olive"], members: ["eve"] }] }],
  users: [
    { login: "olive", credentials: [{ type: "classic_pat", token: owner, scopes: ["admin:enterprise", "admin:org", "read:audit_log"], authorized_orgs: ["ex-org"] }] },
    { login: "eve", credentials: [{ type: "example_token", token: example, scopes: ["repo"], authorized_orgs: ["ex-org"] }] },
  ],
}), "world.json"));
const as = (token) => ({ authorization: "Bearer " + token });
const out = {};
const user = await app.inject({ method: "GET", url: "/user", headers: as(example) });
out.userStatus = user.statusCode;
out.scopesHeader = user.headers["x-oauth-scopes"];
const list = await app.inject({ method: "GET", url: "/orgs/ex-org/credential-authorizations", headers: as(owner) });
out.listed = list.json().map((entry) => entry.credential_type);
const body = JSON.stringify({ credential_type: "example_token", revoke_credentials: true });
const dry = await app.inject({ method: "POST", url: "/_credauth/dry-run/enterprises/ex/credential-authorizations/revoke-credential-type", payload: body, headers: as(owner) });
out.dryRun = { revoked: dry.json().authorizations_revoked, destroyed: dry.json().credentials_destroyed };
const revoke = await app.inject({ method: "POST", url: "/enterprises/ex/credential-authorizations/revoke-credential-type", payload: body, headers: as(owner) });
out.revokeStatus = revoke.statusCode;
const jobPath = new URL(revoke.headers.location).pathname;
let job;
for (let i = 0; i < 200; i++) {
  job = (await app.inject({ method: "GET", url: jobPath, headers: as(owner) })).json();
  if (job.state === "succeeded" || job.state === "failed") break;
  await new Promise((resolve) => setTimeout(resolve, 50));
}
out.job = { state: job.state, revoked: job.counts.authorizations_revoked, destroyed: job.counts.credentials_destroyed };
out.afterwards = (await app.inject({ method: "GET", url: "/user", headers: as(example) })).statusCode;
const audit = await app.inject({ method: "GET", url: "/enterprises/ex/audit-log?phrase=user:eve", headers: as(owner) });
out.audit = audit.json().map((event) => [event.action, event.managed_credential_type ?? event.programmatic_access_type]).sort();
out.invalidTypeMessage = (await app.inject({ method: "POST", url: "/enterprises/ex/credential-authorizations/revoke-credential-type", payload: "{}", headers: as(owner) })).json().message;
await app.close();
console.log(JSON.stringify(out));
`;

describe("the credential-type table", () => {
  const copy = mkdtempSync(join(tmpdir(), "credauth-fictional-type-"));
  after(() => rmSync(copy, { recursive: true, force: true }));

  it("carries a fictional type added in that one file through authentication, lists, revocation, counts and the audit log", {
    timeout: 120_000,
  }, () => {
    cpSync(join(ROOT, "src"), join(copy, "src"), { recursive: true });
    cpSync(join(ROOT, "package.json"), join(copy, "package.json"));
    symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"));
    symlinkSync(join(ROOT, "contract"), join(copy, "contract")); // served by /openapi.json
    symlinkSync(join(ROOT, "console"), join(copy, "console")); // served by the console
    const table = join(copy, "src", "domain", "credential-types.ts");
    const source = readFileSync(table, "utf8");
    const end = "} as const satisfies Record<string, CredentialTypeFacts>;";
    assert.ok(source.includes(end), "the table ends as this test expects");
    writeFileSync(table, source.replace(end, `${FICTIONAL_ENTRY}${end}`));
    writeFileSync(join(copy, "probe.ts"), PROBE);

    const run = spawnSync(process.execPath, [join(copy, "probe.ts")], { cwd: copy, encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    const out = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
    assert.equal(out.userStatus, 200, "its token authenticates");
    assert.equal(out.scopesHeader, "repo", "with its scopes in X-OAuth-Scopes");
    assert.ok(out.listed.includes("example token"), `listed under its label: ${out.listed}`);
    assert.equal(out.dryRun.revoked.example_token, 1, JSON.stringify(out.dryRun));
    assert.equal(out.dryRun.destroyed.example_token, 1, JSON.stringify(out.dryRun));
    assert.equal(out.revokeStatus, 202);
    assert.equal(out.job.state, "succeeded");
    assert.equal(out.job.revoked.example_token, 1);
    assert.equal(out.job.destroyed.example_token, 1);
    assert.equal(out.job.revoked.total, 1, "nothing else was revoked");
    assert.equal(out.afterwards, 401, "destroyed, it no longer authenticates");
    assert.deepEqual(out.audit, [
      ["example_token.destroy", "Example token"],
      ["org_credential_authorization.deauthorize", "Example token"],
      ["org_credential_authorization.grant", "Example token"],
      ["org_credential_authorization.revoke", "Example token"],
    ]);
    assert.match(
      out.invalidTypeMessage,
      /must be one of: classic_pat, fine_grained_pat, ssh_key, oauth_app_token, example_token$/,
    );
  });
});
