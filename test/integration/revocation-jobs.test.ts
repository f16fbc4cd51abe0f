// The jobs behind the 202s as a collection (GET /_credauth/revocations: who sees which, filters,
// pages), followed as server-sent events until they settle, and requested together (group commit).
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { hashToken } from "../../src/domain/tokens.ts";
import { performRevocation, type RevocationRequest, requestRevocation } from "../../src/jobs/revocation-job.ts";
import { REVOCATION_WORK_SCOPES } from "../../src/store/write-scopes.ts";
import { backends } from "../helpers/backends.ts";
import { bearer, startWorldApp, type TestApp } from "../helpers/world.ts";

const silent = { info() {}, warn() {} };

for (const backend of backends()) {
  describe(`revocation jobs as a collection on ${backend.name}`, () => {
    let t: TestApp;
    const ids = { emuUser: 0, classicOrg: 0, classicEnterprise: 0 };
    before(async () => {
      t = await startWorldApp(backend);
      const post = async (url: string, token: string) => {
        const r = await t.app.inject({ method: "POST", url, headers: bearer(token) });
        assert.equal(r.statusCode, 202, r.body);
        return Number(/(\d+)$/.exec(String(r.headers.location))![1]);
      };
      ids.emuUser = await post("/enterprises/emu-corp/credential-authorizations/gwen_emu/revoke", t.tokens.owenClassic);
      ids.classicOrg = await post("/orgs/classic-eng/credential-authorizations/pat/revoke", t.tokens.cleoClassic);
      ids.classicEnterprise = await post(
        "/enterprises/classic-corp/credential-authorizations/pat/revoke",
        t.tokens.tedClassic,
      );
      await performRevocation(t.app.services.db, ids.emuUser, 100);
    });
    after(() => t.close());

    const list = async (token: string, query = "") => {
      const r = await t.app.inject({ method: "GET", url: `/_credauth/revocations${query}`, headers: bearer(token) });
      return { status: r.statusCode, body: r.json(), link: r.headers.link as string | undefined };
    };
    const idsOf = (body: { id: number }[]) => body.map((job) => job.id);
    const emuCorpId = async () => {
      const [enterprise] = await t.app.services.db.query<{ id: number }>(
        "select id from enterprises where slug = 'emu-corp'",
      );
      return enterprise!.id;
    };
    /** Owen's revoke-all of an enterprise, as the API prepares it (handed to requestRevocation). */
    const ownersRevokeAll = async (enterpriseId: number): Promise<RevocationRequest> => {
      const principal = await t.app.services.reads.principal(hashToken(t.tokens.owenClassic));
      assert.ok(principal);
      return {
        principal,
        form: "all",
        scopeName: "emu-corp",
        targetLogin: null,
        scope: {
          enterpriseId,
          organizationId: null,
          targetUserId: null,
          credentialType: null,
          revokeCredentials: false,
          exemptUserId: null,
        },
      };
    };

    it("shows each caller the jobs they could have requested, newest first", async () => {
      assert.deepEqual(idsOf((await list(t.tokens.owenClassic)).body), [ids.emuUser]);
      assert.deepEqual(idsOf((await list(t.tokens.caraAppUser)).body), [ids.emuUser], "a credential manager too");
      assert.deepEqual(idsOf((await list(t.tokens.emuInstallation)).body), [ids.emuUser], "the enterprise's App");
      // ted owns classic-corp: both jobs in it; cleo owns classic-eng: its organization's job only.
      assert.deepEqual(idsOf((await list(t.tokens.tedClassic)).body), [ids.classicEnterprise, ids.classicOrg]);
      assert.deepEqual(idsOf((await list(t.tokens.cleoClassic)).body), [ids.classicOrg]);
      assert.deepEqual((await list(t.tokens.annClassic)).body, [], "a member sees none");
      // A token the rules refuse sees nothing, rather than an error: the list is of what it may see.
      assert.deepEqual((await list(t.tokens.owenReadOrgOnly)).body, []);
    });

    it("filters by state, enterprise and organization, and refuses an unknown state", async () => {
      assert.deepEqual(idsOf((await list(t.tokens.tedClassic, "?state=queued")).body), [
        ids.classicEnterprise,
        ids.classicOrg,
      ]);
      assert.deepEqual((await list(t.tokens.tedClassic, "?state=succeeded")).body, []);
      assert.deepEqual(idsOf((await list(t.tokens.owenClassic, "?state=succeeded")).body), [ids.emuUser]);
      assert.deepEqual(idsOf((await list(t.tokens.tedClassic, "?organization=classic-eng")).body), [ids.classicOrg]);
      assert.deepEqual((await list(t.tokens.tedClassic, "?enterprise=emu-corp")).body, []);
      assert.equal((await list(t.tokens.tedClassic, "?state=done")).status, 422);
    });

    it("pages with GitHub's Link header", async () => {
      const first = await list(t.tokens.tedClassic, "?per_page=1");
      assert.deepEqual(idsOf(first.body), [ids.classicEnterprise]);
      assert.match(String(first.link), /page=2>; rel="next"/);
      const second = await list(t.tokens.tedClassic, "?per_page=1&page=2");
      assert.deepEqual(idsOf(second.body), [ids.classicOrg]);
    });

    it("streams a job's changes as server-sent events until it settles", async () => {
      const address = await t.app.listen({ port: 0, host: "127.0.0.1" });
      const response = await fetch(`${address}/_credauth/revocations/${ids.classicOrg}/events`, {
        headers: { ...bearer(t.tokens.cleoClassic), "user-agent": "test" },
      });
      assert.equal(response.status, 200);
      assert.match(String(response.headers.get("content-type")), /^text\/event-stream/);
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let text = "";
      const states: string[] = [];
      const readEvent = async () => {
        while (!text.includes("\n\n")) {
          const { value, done } = await reader.read();
          if (done) return null;
          text += decoder.decode(value, { stream: true });
        }
        const end = text.indexOf("\n\n");
        const event = text.slice(0, end);
        text = text.slice(end + 2);
        return event;
      };
      const first = await readEvent();
      assert.match(String(first), /^event: revocation\n/);
      states.push(JSON.parse(/data: (.*)$/m.exec(first!)![1]!).state);
      await performRevocation(t.app.services.db, ids.classicOrg, 100);
      for (let event = await readEvent(); event !== null; event = await readEvent()) {
        if (event.startsWith(":")) continue;
        states.push(JSON.parse(/data: (.*)$/m.exec(event)![1]!).state);
      }
      assert.equal(states[0], "queued");
      assert.equal(states.at(-1), "succeeded", "the stream ends once the job settles");

      const outsider = await fetch(`${address}/_credauth/revocations/${ids.classicOrg}/events`, {
        headers: { ...bearer(t.tokens.annClassic), "user-agent": "test" },
      });
      assert.equal(outsider.status, 404);
    });

    // Last in this file: it destroys ted's token.
    it("ends an open stream with GitHub's 401 once its token is revoked", async () => {
      const { port } = t.app.server.address() as AddressInfo; // listening since the test above
      const address = `http://127.0.0.1:${port}`;
      const response = await fetch(`${address}/_credauth/revocations/${ids.classicEnterprise}/events`, {
        headers: { ...bearer(t.tokens.tedClassic), "user-agent": "test" },
      });
      assert.equal(response.status, 200);
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let text = "";
      const read = async () => {
        const { value, done } = await reader.read();
        if (!done) text += decoder.decode(value, { stream: true });
        return done;
      };
      while (!text.includes("event: revocation")) await read();
      const revoked = await t.app.inject({
        method: "POST",
        url: "/credentials/revoke",
        payload: { credentials: [t.tokens.tedClassic] },
      });
      assert.equal(revoked.statusCode, 202, revoked.body);
      const giveUp = setTimeout(() => void reader.cancel(), 5_000);
      while (!(await read()));
      clearTimeout(giveUp);
      const last = text.trim().split("\n\n").at(-1)!;
      assert.match(last, /^event: error\n/, `the stream went on after the revocation: ${text}`);
      const error = JSON.parse(/data: (.*)$/m.exec(last)![1]!);
      assert.equal(error.message, "Bad credentials");
      assert.equal(error.status, "401");
    });

    // Requests that arrive together are accepted together (group commit, jobs/revocation-job.ts):
    // one transaction for a group, each request still its own revocation and job.
    it("accepts concurrent requests in fewer transactions, each with its own revocation and job", async () => {
      const db = t.app.services.db;
      const users = ["ann_emu", "gwen_emu", "oscar_emu", "mel_emu"];
      const before = db.writesCommitted();
      const answers = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          t.app.inject({
            method: "POST",
            url: `/enterprises/emu-corp/credential-authorizations/${users[i % users.length]}/revoke`,
            // With a body, as clients send one: reading it takes a turn of the event loop.
            headers: { ...bearer(t.tokens.owenClassic), "content-type": "application/json" },
            payload: "{}",
          }),
        ),
      );
      const transactions = db.writesCommitted() - before;
      assert.deepEqual(
        answers.map((a) => a.statusCode),
        Array(16).fill(202),
      );
      const ids = answers.map((a) => Number(/(\d+)$/.exec(String(a.headers.location))![1]));
      assert.equal(new Set(ids).size, 16, "sixteen revocations");
      // Embedded, the requests' statements never yield to I/O: only the intake's turn of the event
      // loop lets them group, so this shows that turn. On PostgreSQL, how many arrive while a group
      // commits depends on round-trip timing; the next test shows grouping there exactly.
      if (backend.name === "pglite") assert.ok(transactions <= 8, `16 requests took ${transactions} transactions`);
      const [jobs] = await db.query<{ n: number }>(
        "select count(distinct singleton_key)::int as n from pgboss.job where singleton_key = any($1::text[])",
        [ids.map((id) => `revocation-${id}`)],
      );
      assert.equal(jobs?.n, 16, "each revocation has its job");
      const targets = await db.query<{ login: string; n: number }>(
        "select target_login as login, count(*)::int as n from revocations where id = any($1::bigint[]) group by 1 order by 1",
        [ids],
      );
      assert.deepEqual(
        targets.map((r) => [r.login, r.n]),
        users.toSorted().map((login) => [login, 4]),
      );
    });

    it("accepts the requests that reach it in one turn of the event loop in one transaction", async () => {
      const request = await ownersRevokeAll(await emuCorpId());
      const services = t.app.services;
      const before = services.db.writesCommitted();
      const accepted = await Promise.all(
        Array.from({ length: 16 }, () => requestRevocation(services, request, silent)),
      );
      assert.equal(new Set(accepted.map((a) => a.revocationId)).size, 16);
      assert.equal(services.db.writesCommitted() - before, 1, "one transaction for the sixteen");
    });

    // Scoped invalidation (store/write-scopes.ts): the lookups every request makes are cached apart
    // from what a revocation's work writes, and still emptied by a revocation that destroys.
    it("keeps the identity lookups through a revocation of SSO authorizations, not through one that destroys", async () => {
      const db = t.app.services.db;
      const identity = () => db.writeEpoch(REVOCATION_WORK_SCOPES);
      const everything = () => db.writeEpoch();
      const revoke = async (login: string, body: object) => {
        const r = await t.app.inject({
          method: "POST",
          url: `/enterprises/emu-corp/credential-authorizations/${login}/revoke`,
          headers: { ...bearer(t.tokens.owenClassic), "content-type": "application/json" },
          payload: JSON.stringify(body),
        });
        assert.equal(r.statusCode, 202, r.body);
        return Number(/(\d+)$/.exec(String(r.headers.location))![1]);
      };
      // A cached principal is one frozen object, handed to every request until it is read again.
      const owner = () => t.app.services.reads.principal(hashToken(t.tokens.owenClassic));
      const cached = await owner();
      const emuCorp = await emuCorpId();
      const target = () => t.app.services.reads.enterprisePerson(emuCorp, "ANN_emu");
      const cachedTarget = await target();
      assert.equal(cachedTarget?.login, "ann_emu", "a target is found by login, whatever its case");
      const before = { identity: identity(), everything: everything() };
      assert.notEqual(before.identity, null, "the read cache is on");
      await performRevocation(db, await revoke("oscar_emu", {}), 100);
      assert.notEqual(everything(), before.everything, "the revocation wrote");
      assert.equal(identity(), before.identity, "and touched nothing a principal, organization or role is read from");
      assert.equal(await owner(), cached, "the caller's principal is still the cached one");
      assert.equal(await target(), cachedTarget, "and so is a revocation's target");
      const beforeDestroying = identity();
      await revoke("mel_emu", { revoke_credentials: true });
      assert.notEqual(identity(), beforeDestroying, "a revocation that destroys fences tokens from its 202 on");
      assert.notEqual(await owner(), cached, "so the principal is read again");
      const withoutFence = identity();
      await db.transaction((tx) => tx.query("update users set login = login where false"));
      assert.notEqual(identity(), withoutFence, "a write to users, even of no row, moves it");
    });

    // Another process's writes arrive as announcements naming their scope ('w:<xid>:<scope>').
    if (backend.name === "postgres")
      it("moves only the epochs that depend on the scope another process announces", async () => {
        const db = t.app.services.db;
        const identity = () => db.writeEpoch(REVOCATION_WORK_SCOPES);
        const everything = () => db.writeEpoch();
        // pg-boss's path to the database counts no write of this process: only the announcement does.
        const elsewhere = (sql: string) => db.asBossDb().executeSql(sql, []);
        const announced = async (sql: string) => {
          // Every earlier write read back first (the tests' own, announced after they were counted).
          await db.awaitWritesSeen();
          const before = { identity: identity(), everything: everything() };
          await elsewhere(sql);
          for (let waited = 0; everything() === before.everything; waited += 10) {
            assert.ok(waited < 5_000, `no announcement of ${sql}`);
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
          return identity() !== before.identity;
        };
        assert.equal(await announced("delete from audit_events where false"), false, "the audit log is a revocation's");
        assert.equal(await announced("update users set login = login where false"), true, "users are not");
      });

    it("fails one request of a group alone", async () => {
      const enterprise = await emuCorpId();
      const services = t.app.services;
      // The second names an enterprise that is not there: its insert breaks a foreign key.
      const requests = await Promise.all([enterprise, 999_999, enterprise, enterprise].map(ownersRevokeAll));
      const outcomes = await Promise.allSettled(
        requests.map((request) => requestRevocation(services, request, silent)),
      );
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ["fulfilled", "rejected", "fulfilled", "fulfilled"],
      );
      const ids = outcomes.flatMap((o) => (o.status === "fulfilled" ? [o.value.revocationId] : []));
      const [kept] = await services.db.query<{ n: number }>(
        "select count(*)::int as n from revocations where id = any($1::bigint[])",
        [ids],
      );
      assert.equal(kept?.n, 3, "the others were accepted and kept");
    });
  });
}
