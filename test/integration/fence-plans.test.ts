// On PostgreSQL, a connection keeps the plan it made for a prepared statement. Made while the
// revocations table was empty and analyzed as empty, the fence's plan reads the whole table, and
// keeps reading it as a flood of revocation requests grows it. credauth analyzes the table as it
// doubles; these tests show the stale plan, and that the refresh replaces it on a live connection.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type pg from "pg";
import { hashToken } from "../../src/domain/tokens.ts";
import { PRINCIPAL_BY_TOKEN_HASH } from "../../src/store/principals.ts";
import { refreshRevocationStatisticsIfDue, revocationStatisticsDue } from "../../src/store/revocation-requests.ts";
import { postgresBackend } from "../helpers/backends.ts";
import { bearer, databaseSession, startWorldApp, type TestApp } from "../helpers/world.ts";

describe("revocations table statistics", () => {
  it("are due at 64, 128, 256 … revocations and at no other id", () => {
    const due = Array.from({ length: 5000 }, (_, i) => i + 1).filter(revocationStatisticsDue);
    assert.deepEqual(due, [64, 128, 256, 512, 1024, 2048, 4096]);
  });
});

describe("the fence's plan on postgres", {
  skip: postgresBackend === null ? "TEST_DATABASE_URL is not set" : false,
}, () => {
  let t: TestApp;
  let session: pg.Client;
  before(async () => {
    t = await startWorldApp(postgresBackend!);
    // A connection of its own, so the test can see the plan it has cached.
    session = await databaseSession(t);
  });
  after(async () => {
    await session?.end();
    await t?.close();
  });

  const usesSequentialScan = async (hashHex: string) => {
    const plan = await session.query<{ "QUERY PLAN": string }>(`explain execute fenced_principal('\\x${hashHex}')`);
    return plan.rows.some((row) => /Seq Scan on revocations/.test(row["QUERY PLAN"]));
  };

  /**
   * The probes that look for a revocation covering the row, leaving out the fence's first question
   * (an InitPlan: is any revocation unsettled?), which stops at the first unsettled row it meets.
   */
  const probesScanSequentially = async (hashHex: string) => {
    const plan = await session.query<{ "QUERY PLAN": string }>(`explain execute fenced_principal('\\x${hashHex}')`);
    const lines = plan.rows.map((row) => row["QUERY PLAN"]);
    const indent = (line: string) => line.length - line.trimStart().length;
    const probes: string[] = [];
    for (let i = 0; i < lines.length; i++) {
      if (!/^\s*InitPlan/.test(lines[i]!)) {
        probes.push(lines[i]!);
        continue;
      }
      const depth = indent(lines[i]!);
      while (i + 1 < lines.length && indent(lines[i + 1]!) > depth) i++;
    }
    return probes.some((line) => /Seq Scan on revocations/.test(line));
  };

  it("is replanned with indexes once the table has grown and been refreshed", async () => {
    const db = t.app.services.db;
    const [row] = await db.query<{ count: number }>("select count(*)::int as count from revocations");
    assert.equal(row!.count, 0, "a new install has no revocations");
    await db.query("analyze revocations");
    const hashHex = hashToken(t.tokens.annClassic).toString("hex");
    // credauth's own authentication statement, prepared and run until PostgreSQL settles on a generic plan.
    await session.query(`prepare fenced_principal(bytea) as ${PRINCIPAL_BY_TOKEN_HASH}`);
    for (let i = 0; i < 8; i++) await session.query(`execute fenced_principal('\\x${hashHex}')`);
    assert.ok(await usesSequentialScan(hashHex), "the plan made on the empty table reads all of it");

    await db.query(
      `insert into revocations (enterprise_id, target_user_id, revoke_credentials, requester_login)
       select e.id, u.id, true, 'load' from enterprises e cross join users u cross join generate_series(1, 400) where e.slug = 'emu-corp'`,
    );
    assert.ok(await usesSequentialScan(hashHex), "growth alone does not replan");

    await refreshRevocationStatisticsIfDue(db, 4095);
    assert.ok(await usesSequentialScan(hashHex), "no refresh between doublings");
    await refreshRevocationStatisticsIfDue(db, 4096);
    assert.equal(await probesScanSequentially(hashHex), false, "the refresh made the connection replan");

    // Settled, the revocations leave the fence's first question (is any unsettled?) to the index
    // of the unsettled ones: a table of settled revocations is not read row by row.
    await db.query("update revocations set state = 'succeeded'");
    await db.query("analyze revocations");
    assert.equal(await usesSequentialScan(hashHex), false, "settled revocations are never scanned");
  });

  it("is refreshed by the revocation request whose id doubles the table", async () => {
    const db = t.app.services.db;
    await db.query("delete from revocations");
    await db.query("analyze revocations");
    await db.query("alter table revocations alter column id restart with 64");
    const r = await t.app.inject({
      method: "POST",
      url: "/enterprises/emu-corp/credential-authorizations/ann_emu/revoke",
      headers: { ...bearer(t.tokens.owenClassic), "content-type": "application/json" },
      payload: "{}",
    });
    assert.equal(r.statusCode, 202, r.body);
    assert.match(String(r.headers.location), /\/64$/);
    // The refresh runs after the 202; ANALYZE records the row it found in pg_class.
    const deadline = Date.now() + 10_000;
    let reltuples = 0;
    while (Date.now() < deadline) {
      const [row] = await db.query<{ reltuples: number }>(
        "select reltuples::float8 as reltuples from pg_class where oid = 'revocations'::regclass",
      );
      reltuples = row!.reltuples;
      if (reltuples > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(reltuples, 1, "the revocations table was analyzed after revocation 64");
  });
});
