// startCredauth from test code, as a suite uses it: credauth in this process over real HTTP, its
// fixture's generated tokens handed back, reset, snapshots and the clock, and two instances that
// share nothing.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
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

  it("runs a second instance that shares nothing with the first", async () => {
    const other = await startCredauth({ fixture });
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
      await other.clock.advance("1d");
      assert.ok(Math.abs(credauth.clock.now().getTime() - Date.now()) < 5_000, "each has its own clock");
    } finally {
      await other.stop();
      await credauth.reset();
    }
  });
});
