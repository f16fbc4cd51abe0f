// The principal cache is exact: an answer is used only until the next write, and an answer read
// while a write happened is not kept. Driven through a fake port whose epoch the test moves.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Db, Row } from "../../src/store/db.ts";
import { isPlainRead } from "../../src/store/db.ts";
import { principalLookup } from "../../src/store/principals.ts";

function fakeDb(epoch: () => number | null, onQuery: () => void = () => {}) {
  let queries = 0;
  const row = {
    credential_id: 7,
    type: "classic_pat",
    scopes: ["repo"],
    permissions: {},
    resource_owner: null,
    expires_at: null,
    token_hash: new Uint8Array([1]),
    user_id: 3,
    login: "ann",
    user_created_at: new Date(0),
  };
  const db = {
    kind: "pglite",
    async query<T extends Row>() {
      queries++;
      onQuery();
      return [row] as unknown as T[];
    },
    writeEpoch: epoch,
  } as unknown as Db;
  return { db, queries: () => queries };
}

describe("principal cache", () => {
  const hash = new Uint8Array([1, 2, 3]);

  it("answers from memory until the next write, then reads again", async () => {
    let epoch = 0;
    const { db, queries } = fakeDb(() => epoch);
    const find = principalLookup(db);
    assert.equal((await find(hash))?.user.login, "ann");
    await find(hash);
    assert.equal(queries(), 1);
    epoch++;
    await find(hash);
    assert.equal(queries(), 2, "a write empties the cache");
  });

  it("does not keep an answer read while a write happened", async () => {
    let epoch = 0;
    const { db, queries } = fakeDb(
      () => epoch,
      () => epoch++,
    );
    const find = principalLookup(db);
    await find(hash);
    await find(hash);
    assert.equal(queries(), 2);
  });

  it("never caches where the database cannot vouch for it (PostgreSQL)", async () => {
    const { db, queries } = fakeDb(() => null);
    const find = principalLookup(db);
    await find(hash);
    await find(hash);
    assert.equal(queries(), 2);
  });

  it("hands out frozen principals, shared safely between requests", async () => {
    const { db } = fakeDb(() => 0);
    const found = (await principalLookup(db)(hash))!;
    assert.ok(Object.isFrozen(found.credential.scopes));
    assert.throws(() => ((found.user as { login: string }).login = "mallory"));
  });

  it("counts only plain SELECTs as reads", () => {
    assert.ok(isPlainRead("select c.id from credentials c where c.token_hash = $1"));
    assert.ok(isPlainRead("  SELECT 1"));
    assert.ok(isPlainRead("with scope as (select 1 as id) select count(*) from scope"));
    for (const write of [
      "update credential_authorizations set accessed_at = now()",
      "with x as (insert into t values (1) returning 1) select * from x",
      "with x as (delete from t returning 1) select count(*) from x",
      "with x as (select id from t for update) select * from x",
      "select id from revocations where id = $1 for update",
      "select id from revocations for share",
      "select nextval('s')",
      "select pg_advisory_xact_lock(1)",
      "select 1; delete from users",
      "insert into users values (1)",
    ]) {
      assert.equal(isPlainRead(write), false, write);
    }
  });
});
