// Emptying a database (store/erase.ts) — what tests do between them and a harness reset does —
// takes every table that holds data, leaves the schema, the queues and the migrations, and knows
// every table there is: a table added without a word in erase.ts fails here.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BOSS_SCHEMA } from "../../src/store/db.ts";
import { DATA_TABLES, eraseAllData, KEPT_TABLES } from "../../src/store/erase.ts";
import { backends } from "../helpers/backends.ts";
import { bearer, startWorldApp, type TestApp } from "../helpers/world.ts";

for (const backend of backends()) {
  describe(`erasing all data on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startWorldApp(backend)));
    after(() => t.close());

    it("names every table credauth has, as data or as kept", async () => {
      const tables = await t.app.services.db.query<{ name: string }>(
        "select tablename as name from pg_tables where schemaname = 'public' order by 1",
      );
      assert.deepEqual(
        tables.map(({ name }) => name),
        [...DATA_TABLES, ...KEPT_TABLES].sort(),
      );
    });

    it("empties every data table and the jobs, keeps the migrations and the queues, and the world is gone", async () => {
      const { db } = t.app.services;
      const count = async (table: string) =>
        (await db.query<{ n: number }>(`select count(*)::int as n from ${table}`))[0]!.n;
      assert.ok((await count("users")) > 0, "the world was there");
      const r = await t.app.inject({
        method: "POST",
        url: "/orgs/classic-eng/credential-authorizations/revoke-all",
        headers: bearer(t.tokens.cleoClassic),
      });
      assert.equal(r.statusCode, 202, r.body);
      assert.ok((await count(`${BOSS_SCHEMA}.job`)) > 0, "a job was queued");
      const migrations = await count("credauth_migrations");
      const queues = await count(`${BOSS_SCHEMA}.queue`);

      await eraseAllData(db);

      for (const table of DATA_TABLES) assert.equal(await count(table), 0, table);
      assert.equal(await count(`${BOSS_SCHEMA}.job`), 0, "no job left");
      assert.equal(await count("credauth_migrations"), migrations);
      assert.equal(await count(`${BOSS_SCHEMA}.queue`), queues);
      const me = await t.app.inject({ method: "GET", url: "/user", headers: bearer(t.tokens.cleoClassic) });
      assert.equal(me.statusCode, 401, "its tokens authenticate no more");
    });
  });
}
