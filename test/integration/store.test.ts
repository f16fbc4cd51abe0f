// Storage on every backend: migrations, fixture loading all-or-nothing, and reloading that never
// resurrects what a revocation took away.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { FixtureError, parseFixture } from "../../src/domain/fixture.ts";
import { generateToken } from "../../src/domain/tokens.ts";
import type { Db } from "../../src/store/db.ts";
import { DatabaseTooNewError, loadMigrations, migrate } from "../../src/store/migrate.ts";
import { findPrincipalByTokenHash } from "../../src/store/principals.ts";
import { applyFixture } from "../../src/store/seed.ts";
import { backends, freshDatabase } from "../helpers/backends.ts";

async function count(db: Db, table: string): Promise<number> {
  const [row] = await db.query<{ count: number }>(`select count(*)::int as count from ${table}`);
  return row!.count;
}

for (const backend of backends()) {
  describe(`store on ${backend.name}`, () => {
    let db: Db;
    let drop: () => Promise<void>;
    before(async () => {
      ({ db, drop } = await freshDatabase(backend));
    });
    after(async () => {
      await drop();
    });

    it("migrates once, then is a no-op, and refuses a database newer than itself", async () => {
      const versions = loadMigrations().map((m) => m.version);
      assert.deepEqual(await migrate(db), versions);
      assert.deepEqual(await migrate(db), []);
      await db.query("insert into credauth_migrations (version, name) values (9999, 'from the future')");
      await assert.rejects(migrate(db), DatabaseTooNewError);
      await db.query("delete from credauth_migrations where version = 9999");
    });

    it("moves its write epoch on writes only (embedded), or has none (PostgreSQL)", async () => {
      // The port promises that the epoch changes with every write, not by how much.
      const epoch = db.writeEpoch();
      if (backend.name === "postgres") return assert.equal(epoch, null);
      await findPrincipalByTokenHash(db, new Uint8Array(32));
      assert.equal(db.writeEpoch(), epoch, "authentication's read is a read");
      const moved = async (write: () => Promise<unknown>, what: string) => {
        const before = db.writeEpoch();
        await write().catch(() => {});
        assert.notEqual(db.writeEpoch(), before, what);
      };
      await moved(
        () => db.query("update users set login = login where false"),
        "a statement that writes nothing still counts",
      );
      await moved(
        () => db.transaction(async (tx) => tx.query("select 1")),
        "a transaction counts as a write, whatever it did",
      );
      await moved(() => db.query("select * from no_such_table for update"), "a failed statement counts too");
    });

    it("refuses a fixture as a whole when a late part is wrong", async () => {
      const fixture = {
        enterprises: [
          {
            slug: "half",
            emu: true,
            owners: ["half_admin"],
            organizations: [{ login: "half-org", members: ["half_member"] }],
          },
        ],
        users: [
          {
            login: "half_member",
            credentials: [
              { type: "classic_pat", token: generateToken("classic_pat"), authorized_orgs: ["no-such-org"] },
            ],
          },
        ],
      };
      await assert.rejects(
        applyFixture(db, parseFixture(JSON.stringify(fixture, null, 2), "half.json")),
        (error: unknown) => {
          assert.ok(error instanceof FixtureError);
          assert.equal(error.path, "users[0].credentials[0].authorized_orgs[0]");
          assert.ok(error.line !== null);
          return true;
        },
      );
      for (const table of ["enterprises", "organizations", "users", "credentials", "credential_authorizations"]) {
        assert.equal(await count(db, table), 0, `${table} is empty after the refusal`);
      }
    });

    it("adds only what is new when a fixture is loaded again, and generates missing tokens once", async () => {
      const fixture = JSON.stringify({
        enterprises: [
          {
            slug: "again",
            owners: ["again_owner"],
            organizations: [{ login: "again-org", members: ["again_member"] }],
          },
        ],
        apps: [{ slug: "again-app", owner: "again", installations: [{ account: "again-org" }] }],
        users: [
          {
            login: "again_member",
            credentials: [{ type: "oauth_app_token", note: "cli", authorized_orgs: ["again-org"] }],
          },
        ],
      });
      const first = await applyFixture(db, parseFixture(fixture, "again.json"));
      assert.deepEqual(first.created, {
        enterprises: 1,
        organizations: 1,
        users: 3,
        credentials: 1,
        authorizations: 1,
        apps: 1,
      });
      assert.equal(first.credentials.length, 1);
      assert.ok(first.apps[0]!.privateKey && first.apps[0]!.clientSecret, "the App's secrets are generated, once");
      assert.match(String(first.credentials[0]!.token), /^gho_[A-Za-z0-9]{36}$/);
      const second = await applyFixture(db, parseFixture(fixture, "again.json"));
      assert.deepEqual(second.created, {
        enterprises: 0,
        organizations: 0,
        users: 0,
        credentials: 0,
        authorizations: 0,
        apps: 0,
      });
      assert.equal(second.credentials.length, 0);
      // The App is the same one, its keys kept, and installed once.
      assert.deepEqual(
        second.apps,
        [{ ...first.apps[0], privateKey: undefined, clientSecret: undefined }].map(
          ({ privateKey, clientSecret, ...kept }) => kept,
        ),
      );
    });

    it("never resurrects a revoked authorization or a destroyed credential", async () => {
      const token = generateToken("classic_pat");
      const fixture = JSON.stringify({
        enterprises: [
          {
            slug: "dead",
            emu: true,
            owners: ["dead_admin"],
            organizations: [{ login: "dead-org", members: ["dead_member"] }],
          },
        ],
        users: [{ login: "dead_member", credentials: [{ type: "classic_pat", token, authorized_orgs: ["dead-org"] }] }],
      });
      await applyFixture(db, parseFixture(fixture, "dead.json"));
      await db.query(
        "update credential_authorizations set revoked_at = now() where credential_id in (select id from credentials where token_last_eight = $1)",
        [token.slice(-8)],
      );
      await applyFixture(db, parseFixture(fixture, "dead.json"));
      const [live] = await db.query<{ count: number }>(
        "select count(*)::int as count from credential_authorizations a join credentials c on c.id = a.credential_id where c.token_last_eight = $1 and a.revoked_at is null",
        [token.slice(-8)],
      );
      assert.equal(live!.count, 0);
      await db.query("update credentials set destroyed_at = now() where token_last_eight = $1", [token.slice(-8)]);
      const report = await applyFixture(db, parseFixture(fixture, "dead.json"));
      assert.equal(report.created.credentials, 0);
      const [destroyed] = await db.query<{ destroyed: boolean }>(
        "select destroyed_at is not null as destroyed from credentials where token_last_eight = $1",
        [token.slice(-8)],
      );
      assert.equal(destroyed!.destroyed, true);
    });

    it("refuses what contradicts the database, naming the path and line, and changes nothing", async () => {
      const base = {
        enterprises: [
          { slug: "ground-emu", emu: true, owners: ["ground_owner"], organizations: [{ login: "ground-org" }] },
          { slug: "ground-classic", owners: ["ground_classic_owner"] },
        ],
      };
      await applyFixture(db, parseFixture(JSON.stringify(base), "base.json"));
      const token = generateToken("classic_pat");
      const cases: { fixture: unknown; path: string; line: number; message: RegExp }[] = [
        {
          fixture: { enterprises: [{ slug: "ground-emu", emu: false }] },
          path: "enterprises[0].emu",
          line: 5,
          message: /already exists with emu: true/,
        },
        {
          fixture: { enterprises: [{ slug: "ground-classic", owners: ["ground_owner"] }] },
          path: "enterprises[0].owners[0]",
          line: 6,
          message: /"ground_owner" is a managed user of another EMU enterprise/,
        },
        {
          fixture: { enterprises: [{ slug: "ground-emu", owners: ["ground_classic_owner"] }] },
          path: "enterprises[0].owners[0]",
          line: 6,
          message: /"ground_classic_owner" already belongs to another enterprise and cannot become a managed user/,
        },
        {
          fixture: { enterprises: [{ slug: "ground-classic", organizations: [{ login: "ground-org" }] }] },
          path: "enterprises[0].organizations[0].login",
          line: 7,
          message: /"ground-org" already belongs to another enterprise/,
        },
        {
          fixture: {
            users: [
              { login: "twin_a", credentials: [{ type: "classic_pat", token }] },
              { login: "twin_b", credentials: [{ type: "classic_pat", token }] },
            ],
          },
          path: "users[1].credentials[0].token",
          line: 17,
          message: /this token already belongs to another user/,
        },
      ];
      const before = await Promise.all(
        ["enterprises", "users", "organizations", "enterprise_roles", "credentials"].map((t) => count(db, t)),
      );
      for (const { fixture, path, line, message } of cases) {
        await assert.rejects(
          applyFixture(db, parseFixture(JSON.stringify(fixture, null, 2), "bad.json")),
          (error: unknown) => {
            assert.ok(error instanceof FixtureError, String(error));
            assert.equal(error.path, path);
            assert.equal(error.line, line, `${path} is on line ${line}`);
            assert.match(error.problem, message);
            return true;
          },
        );
      }
      const afterwards = await Promise.all(
        ["enterprises", "users", "organizations", "enterprise_roles", "credentials"].map((t) => count(db, t)),
      );
      assert.deepEqual(afterwards, before, "no refused fixture left a row behind");
    });

    it("refuses every resource owner that names no enterprise or organization, each with its line, and loads nothing", async () => {
      const before = await count(db, "credentials");
      const fixture = {
        enterprises: [{ slug: "owners-inc", organizations: [{ login: "owners-org" }] }],
        users: [
          {
            login: "owner_checker",
            credentials: [
              { type: "fine_grained_pat", resource_owner: "owners-org", permissions: { contents: "read" }, note: "ok" },
              {
                type: "fine_grained_pat",
                resource_owner: "owners-ogr",
                permissions: { contents: "read" },
                note: "typo",
              },
              { type: "fine_grained_pat", resource_owner: "nobody", permissions: { contents: "read" }, note: "none" },
            ],
          },
        ],
      };
      const text = JSON.stringify(fixture, null, 2);
      const lineOf = (needle: string) => text.split("\n").findIndex((line) => line.includes(needle)) + 1;
      await assert.rejects(applyFixture(db, parseFixture(text, "owners.json")), (error: unknown) => {
        assert.ok(error instanceof FixtureError, String(error));
        assert.deepEqual(
          error.problems.map((p) => [p.path, p.line]),
          [
            ["users[0].credentials[1].resource_owner", lineOf('"owners-ogr"')],
            ["users[0].credentials[2].resource_owner", lineOf('"nobody"')],
          ],
        );
        assert.match(error.problems[0]!.problem, /"owners-ogr" is not an enterprise or organization/);
        return true;
      });
      assert.equal(await count(db, "credentials"), before);
    });

    it("refuses to give one token to two users", async () => {
      const token = generateToken("classic_pat");
      await applyFixture(
        db,
        parseFixture(
          JSON.stringify({ users: [{ login: "first_holder", credentials: [{ type: "classic_pat", token }] }] }),
          "a.json",
        ),
      );
      await assert.rejects(
        applyFixture(
          db,
          parseFixture(
            JSON.stringify({ users: [{ login: "second_holder", credentials: [{ type: "classic_pat", token }] }] }),
            "b.json",
          ),
        ),
        /already belongs to another user/,
      );
    });
  });
}
