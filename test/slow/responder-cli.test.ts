// The responder's commands against a running credauth, as processes: revoke with its preview,
// typed confirmation on a terminal (a real pseudo-terminal, through util-linux `script`) and --yes
// in a pipe, --wait to the job's end; jobs, inventory (table, JSON, CSV), audit as JSON lines,
// token create through the admin API; reset refused while a server holds the folder.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { migratedDataFolder, type RunningProcess, startServer } from "../helpers/process.ts";
import { makeTokens, type Tokens, worldFixture } from "../helpers/world.ts";

const BIN = join(import.meta.dirname, "..", "..", "bin", "credauth.js");
const ADMIN_TOKEN = "responder-cli-test-admin-token-0123456789";

describe("the responder's commands against a credauth process", () => {
  let dir: string;
  let server: RunningProcess & { url: string };
  let tokens: Tokens;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "credauth-responder-"));
    tokens = makeTokens();
    writeFileSync(join(dir, "world.json"), JSON.stringify(worldFixture(tokens)));
    const data = await migratedDataFolder(join(dir, "data"));
    server = await startServer(["--data", data, "--seed", join(dir, "world.json")], {
      CREDAUTH_ADMIN_TOKEN: ADMIN_TOKEN,
    });
  });
  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The command in a pipe: no terminal, so no questions and no colour. */
  function cli(args: string[], token: string | null, env: Record<string, string> = {}) {
    const result = spawnSync(process.execPath, [BIN, ...args], {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        CREDAUTH_URL: server.url,
        ...(token ? { GH_TOKEN: token } : {}),
        ...env,
      },
      encoding: "utf8",
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  /** The command on a pseudo-terminal, `input` typed at it. */
  function onTerminal(args: string[], token: string, input: string) {
    const command = [process.execPath, BIN, ...args].map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(" ");
    const result = spawnSync("script", ["-qec", command, "/dev/null"], {
      input,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", CREDAUTH_URL: server.url, GH_TOKEN: token, TERM: "dumb" },
      encoding: "utf8",
    });
    return { code: result.status, output: result.stdout };
  }

  it("previews a revocation exactly with --dry-run, and changes nothing", () => {
    const r = cli(
      ["revoke", "--enterprise", "emu-corp", "--user", "ann_emu", "--revoke-credentials", "--dry-run", "--json"],
      tokens.owenClassic,
    );
    assert.equal(r.code, 0, r.stderr);
    const preview = JSON.parse(r.stdout);
    assert.equal(preview.dry_run, true);
    assert.equal(preview.authorizations_revoked.total, 6);
    assert.equal(preview.affected_users, 1);
    const human = cli(["revoke", "--enterprise", "emu-corp", "--user", "ann_emu", "--dry-run"], tokens.owenClassic);
    assert.match(
      human.stdout,
      /Revoke the SSO authorizations of ann_emu in enterprise emu-corp:\n {2}6 SSO authorizations revoked/,
    );
  });

  it("refuses to revoke in a pipe without --yes, and says what is wrong in one line", () => {
    const r = cli(["revoke", "--org", "classic-eng", "--user", "pat"], tokens.cleoClassic);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^credauth: not on a terminal: pass --yes/);
    const usage = cli(["revoke", "--org", "classic-eng", "--revoke-credentials"], tokens.cleoClassic);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--revoke-credentials is for an enterprise/);
  });

  it("on a terminal, asks for the target typed back, and sends nothing when it does not match", () => {
    const declined = onTerminal(
      ["revoke", "--org", "classic-eng", "--user", "pat"],
      tokens.cleoClassic,
      "classic-corp\n",
    );
    assert.equal(declined.code, 1, declined.output);
    assert.match(declined.output, /Type classic-eng to confirm:/);
    assert.match(declined.output, /not confirmed; nothing was sent/);
    const jobs = JSON.parse(cli(["jobs", "list", "--json"], tokens.cleoClassic).stdout);
    assert.deepEqual(jobs, []);

    const confirmed = onTerminal(
      ["revoke", "--org", "classic-eng", "--user", "pat", "--wait"],
      tokens.cleoClassic,
      "classic-eng\n",
    );
    assert.equal(confirmed.code, 0, confirmed.output);
    assert.match(confirmed.output, /Credential authorization revocation for user 'pat' has been queued/);
    assert.match(confirmed.output, /Job \d+ succeeded: 1 authorization revoked, 0 credentials destroyed/);
  });

  it("revokes with --yes --wait in a script, follows the job to its end and exits 0", () => {
    const r = cli(
      ["revoke", "--enterprise", "emu-corp", "--user", "gwen_emu", "--yes", "--wait", "--json"],
      tokens.caraAppUser,
    );
    assert.equal(r.code, 0, r.stderr);
    const job = JSON.parse(r.stdout);
    assert.equal(job.state, "succeeded");
    assert.equal(job.counts.authorizations_revoked.total, 1);
    assert.equal(job.requester.login, "cara_emu");
  });

  it("lists, shows and watches jobs", () => {
    const list = JSON.parse(cli(["jobs", "--json"], tokens.owenClassic).stdout);
    assert.equal(list.length, 1);
    const [job] = list;
    const shown = JSON.parse(cli(["jobs", "show", String(job.id), "--json"], tokens.owenClassic).stdout);
    assert.equal(shown.id, job.id);
    const watched = cli(["jobs", "watch", String(job.id)], tokens.owenClassic);
    assert.equal(watched.code, 0);
    assert.match(watched.stdout, new RegExp(`Job ${job.id} succeeded`));
    const hidden = cli(["jobs", "show", String(job.id)], tokens.annClassic);
    assert.equal(hidden.code, 1);
    assert.match(hidden.stderr, /^credauth: 404 Not Found/);
  });

  it("lists an organization's inventory, every page, as JSON or CSV", () => {
    const refused = cli(["inventory", "--org", "emu-eng", "--json"], `${tokens.owenClassic}x`);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^credauth: 401 Bad credentials/);
    const all = JSON.parse(cli(["inventory", "--org", "classic-eng", "--json"], tokens.cleoClassic).stdout);
    assert.ok(all.length >= 4, `every page: ${all.length}`);
    const csv = cli(["inventory", "--org", "classic-eng", "--user", "cleo", "--csv"], tokens.cleoClassic).stdout;
    const lines = csv.trimEnd().split("\r\n");
    assert.equal(
      lines[0],
      "login,credential_type,token_last_eight,fingerprint,scopes,credential_authorized_at,credential_accessed_at,credential_id,authorized_credential_id,note",
    );
    assert.ok(lines.slice(1).every((line) => line.startsWith("cleo,")));
  });

  it("streams an audit log as JSON lines, filtered by a phrase", () => {
    const r = cli(
      ["audit", "--enterprise", "classic-corp", "--phrase", "action:org_credential_authorization.grant"],
      tokens.tedClassic,
    );
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    assert.ok(events.length >= 5);
    assert.ok(events.every((event) => event.action === "org_credential_authorization.grant"));
  });

  it("creates a token through the admin API and prints it once", () => {
    const r = cli(
      [
        "token",
        "create",
        "--user",
        "ann_emu",
        "--type",
        "classic_pat",
        "--scopes",
        "repo,read:org",
        "--note",
        "from the cli",
        "--json",
      ],
      null,
      { CREDAUTH_ADMIN_TOKEN: ADMIN_TOKEN },
    );
    assert.equal(r.code, 0, r.stderr);
    const created = JSON.parse(r.stdout);
    assert.match(created.token, /^ghp_[A-Za-z0-9]{36}$/);
    const me = cli(["jobs", "--json"], created.token);
    assert.equal(me.code, 0, "the new token authenticates");
    const refused = cli(["token", "create", "--user", "ann_emu", "--type", "classic_pat"], null);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /CREDAUTH_ADMIN_TOKEN/);
  });

  it("refuses to reset the data folder while the server holds it", () => {
    const r = cli(["reset", "--data", join(dir, "data")], null);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /in use by credauth serve/);
  });
});
