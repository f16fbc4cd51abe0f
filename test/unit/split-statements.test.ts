// Migrations are split into statements at semicolons, except inside a function's $$ body.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { splitStatements } from "../../src/store/migrate.ts";

describe("splitStatements", () => {
  it("splits at semicolons and drops comment lines", () => {
    assert.deepEqual(splitStatements("-- a table\ncreate table a (id int);\n\ncreate index on a (id);\n"), [
      "create table a (id int)",
      "create index on a (id)",
    ]);
  });

  it("keeps a dollar-quoted function body whole", () => {
    const sql = `create function f() returns trigger language plpgsql as $$
begin
  perform pg_notify('c', 'x');
  return null;
end
$$;
create trigger t after insert on a for each statement execute function f();`;
    const statements = splitStatements(sql);
    assert.equal(statements.length, 2);
    assert.match(statements[0]!, /perform pg_notify\('c', 'x'\);\n {2}return null;\nend\n\$\$$/);
    assert.match(statements[1]!, /^create trigger t/);
  });
});
