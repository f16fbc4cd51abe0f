// The embedded database learns a statement's parameter types once and then sends it in one trip
// (store/pglite-statements.ts): what it answers must be what PGlite's own `query` answers.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { PGlite } from "@electric-sql/pglite";
import type { Db } from "../../src/store/db.ts";
import { openPglite } from "../../src/store/pglite.ts";
import { OneTripStatements } from "../../src/store/pglite-statements.ts";
import { templateDump } from "../helpers/template.ts";

describe("statements in one trip on the embedded database", () => {
  let db: Db & { pglite: PGlite };
  before(async () => {
    db = await openPglite(undefined, { loadDataDir: await templateDump("empty") });
    await db.exec(`create table things (id bigint primary key, name text not null unique, seen timestamptz,
      tags text[], data jsonb, flag boolean, ratio float8)`);
  });
  after(() => db.close());

  it("runs a statement again and again, its values typed as PostgreSQL takes them", async () => {
    for (let i = 1; i <= 5; i++) {
      await db.query("insert into things (id, name, tags) values ($1, $2, $3)", [i, `thing ${i}`, ["a", `t${i}`]]);
    }
    assert.deepEqual(await db.query("select tags from things where id = $1", [5]), [{ tags: ["a", "t5"] }]);
    const [{ n }] = (await db.query<{ n: number }>("select count(*)::int as n from things where id <= $1", [5])) as [
      { n: number },
    ];
    assert.equal(n, 5);
  });

  it("answers the same values, of the same types, as PGlite's own query", async () => {
    await db.query("update things set seen = $2, data = $3, flag = $4, ratio = $5 where id = $1", [
      1,
      new Date("2026-12-06T10:00:00Z"),
      { nested: { list: [1, 2] }, text: "ü" },
      true,
      0.25,
    ]);
    const text = "select id, name, seen, tags, data, flag, ratio, null::text as nothing from things where id = any($1)";
    const prepared = await db.query(text, [[1, 2]]);
    const plain = await db.pglite.query(`${text} order by id`, [[1, 2]]);
    assert.deepEqual(
      prepared.sort((a, b) => Number(a.id) - Number(b.id)),
      plain.rows,
    );
    assert.equal(typeof prepared[0]!.id, "number", "int8 is parsed as the port's parser says");
    assert.ok(prepared[0]!.seen instanceof Date);
    assert.deepEqual(prepared[0]!.data, { nested: { list: [1, 2] }, text: "ü" });
  });

  it("reports a failed statement as PostgreSQL does and runs it again afterwards", async () => {
    const insert = "insert into things (id, name) values ($1, $2)";
    await db.query(insert, [100, "unique name"]);
    await assert.rejects(db.query(insert, [101, "unique name"]), (error: { code?: string }) => error.code === "23505");
    assert.deepEqual(await db.query(`${insert} returning id`, [102, "another name"]), [{ id: 102 }]);
    assert.deepEqual(
      await db.query("select name from things where id = $1", [101]),
      [],
      "the failed insert left nothing",
    );
  });

  it("rolls a transaction's statements back with it, and runs those it starts together one by one", async () => {
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.query("insert into things (id, name) values ($1, $2)", [200, "rolled back"]);
        throw new Error("rolled back on purpose");
      }),
      /on purpose/,
    );
    assert.deepEqual(await db.query("select id from things where id = $1", [200]), []);
    // Statements a transaction starts together run one after another on the one session.
    const names = await db.transaction((tx) =>
      Promise.all([1, 2, 3, 4].map((id) => tx.query<{ name: string }>("select name from things where id = $1", [id]))),
    );
    assert.deepEqual(
      names.map((rows) => rows[0]?.name),
      ["thing 1", "thing 2", "thing 3", "thing 4"],
    );
  });

  it("answers the columns a statement has now, after a change of schema under it", async () => {
    const text = "select * from things where id = $1";
    assert.equal(Object.keys((await db.query(text, [1]))[0]!).length, 7);
    await db.exec("alter table things add column extra text");
    assert.equal(Object.keys((await db.query(text, [1]))[0]!).length, 8);
  });

  it("keeps no named statement: each run is planned for its values", async () => {
    await db.query("select name from things where id = $1", [1]);
    const [row] = await db.query<{ n: number }>("select count(*)::int as n from pg_prepared_statements");
    assert.equal(row!.n, 0);
  });

  it("keeps the parameter types of at most as many texts as its limit", async () => {
    const statements = new OneTripStatements(db.pglite, 2);
    assert.deepEqual(await statements.alone("select $1::int + 1 as n", [1]), [{ n: 2 }]);
    assert.deepEqual(await statements.alone("select $1::int + 2 as n", [1]), [{ n: 3 }]);
    assert.deepEqual(await statements.alone("select $1::int + 3 as n", [1]), [{ n: 4 }]);
    assert.equal(statements.size, 2);
    assert.deepEqual(await statements.alone("select $1::int + 1 as n", [2]), [{ n: 3 }], "learned again");
  });
});
