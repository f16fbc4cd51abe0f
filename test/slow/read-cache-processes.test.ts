// Two `credauth serve` processes on one PostgreSQL database, each answering reads from its own
// cache. One of them is frozen (SIGSTOP) with a token's answer in its cache while the other
// revokes that token: the 202 is sent only once the frozen process has been declared dead, and
// when it is thawed its first answer is a refusal, not the stale cached 200.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseFixture } from "../../src/domain/fixture.ts";
import { migrate } from "../../src/store/migrate.ts";
import { openPostgres } from "../../src/store/postgres.ts";
import { applyFixture } from "../../src/store/seed.ts";
import { newTestDatabaseUrl } from "../helpers/backends.ts";
import { type RunningProcess, startServer } from "../helpers/process.ts";
import { makeTokens, type Tokens, worldFixture } from "../helpers/world.ts";

const database = newTestDatabaseUrl();

describe("the read cache across two serve processes", {
  skip: database === null ? "TEST_DATABASE_URL is not set" : false,
}, () => {
  let drop: () => Promise<void>;
  let tokens: Tokens;
  let first: RunningProcess & { url: string };
  let second: RunningProcess & { url: string };

  before(async () => {
    const created = await database!;
    drop = created.drop;
    const db = openPostgres(created.url);
    await migrate(db);
    tokens = makeTokens();
    await applyFixture(db, parseFixture(JSON.stringify(worldFixture(tokens)), "world.json"));
    await db.close();
    // Info level: the test reads the line that says a process stopped beating.
    const env = { CREDAUTH_LOG_LEVEL: "info", CREDAUTH_LOG_FORMAT: "json" };
    first = await startServer(["--database-url", created.url, "--no-worker"], env);
    second = await startServer(["--database-url", created.url, "--no-worker"], env);
    await first.waitFor(/read cache joined/);
    await second.waitFor(/read cache joined/);
  });
  after(async () => {
    if (second?.child.exitCode === null) second.child.kill("SIGCONT");
    await first?.kill();
    await second?.kill();
    await drop?.();
  });

  const status = async (base: string, path: string, token: string) =>
    (await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } })).status;
  const revoke = (username: string) =>
    fetch(`${first.url}/enterprises/emu-corp/credential-authorizations/${username}/revoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${tokens.owenClassic}`, "content-type": "application/json" },
      body: JSON.stringify({ revoke_credentials: true }),
    });

  it("refuses at the other process as soon as one process has answered 202", async () => {
    assert.equal(await status(second.url, "/user", tokens.melClassic), 200);
    assert.equal(await status(second.url, "/user", tokens.melClassic), 200);
    const accepted = await revoke("mel_emu");
    assert.equal(accepted.status, 202);
    assert.equal(await status(second.url, "/user", tokens.melClassic), 401);
  });

  it("waits out a frozen process, which refuses once it is thawed", async () => {
    assert.equal(await status(second.url, "/user", tokens.annClassic), 200);
    assert.equal(await status(second.url, "/user", tokens.annClassic), 200);
    second.child.kill("SIGSTOP");
    try {
      const accepted = await revoke("ann_emu");
      assert.equal(accepted.status, 202);
      assert.match(
        first.output(),
        /stopped beating; it is no longer waited for/,
        "the 202 came only after the frozen process was declared dead",
      );
    } finally {
      second.child.kill("SIGCONT");
    }
    assert.equal(await status(second.url, "/user", tokens.annClassic), 401, "no stale answer after the thaw");
  });

  it("counts the thawed process as a member again, and holds the SSO check the same way", async () => {
    assert.equal(await status(second.url, "/orgs/emu-eng", tokens.gwenClassic), 200);
    assert.equal(await status(second.url, "/orgs/emu-eng", tokens.gwenClassic), 200);
    const accepted = await fetch(`${first.url}/enterprises/emu-corp/credential-authorizations/gwen_emu/revoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${tokens.owenClassic}` },
    });
    assert.equal(accepted.status, 202);
    assert.equal(await status(second.url, "/orgs/emu-eng", tokens.gwenClassic), 403);
  });
});
