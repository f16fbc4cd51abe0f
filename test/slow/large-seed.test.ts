// `credauth seed` of a large file on PostgreSQL runs again in place with V8's heap sized to the file
// (server-commands.ts, sizeHeapFor): the load still completes, exactly, in the process that was
// started. How much memory that saves is the benchmark's to measure (npm run bench -- --only load).
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { writeFixtureFile } from "../../bench/fixture-file.ts";
import { openPostgres } from "../../src/store/postgres.ts";
import { newTestDatabaseUrl } from "../helpers/backends.ts";
import { runCredauth } from "../helpers/process.ts";

const SIZE = { organizations: 10, users: 18_000, credentials: 45_000, authorizations: 180_000 };
const postgres = newTestDatabaseUrl();

describe("seeding a large world on PostgreSQL", {
  skip: postgres === null ? "TEST_DATABASE_URL is not set" : false,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "credauth-large-seed-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("sizes the heap to the file in the same process, and loads every row", { timeout: 240_000 }, async () => {
    const { url, drop } = (await postgres)!;
    try {
      const file = join(dir, "world.json");
      await writeFixtureFile(file, SIZE);
      const megabytes = statSync(file).size / 2 ** 20;
      assert.ok(megabytes >= 8, `large enough to be sized (${megabytes.toFixed(1)} MB)`);
      const seed = runCredauth(["seed", file, "--tokens-file", join(dir, "tokens.tsv")], {
        DATABASE_URL: url,
        // The heap line is a debug line: at the default level, seed's output has no log lines.
        CREDAUTH_LOG_LEVEL: "debug",
        CREDAUTH_LOG_FORMAT: "json",
      });
      const [code] = seed.child.exitCode === null ? await once(seed.child, "exit") : [seed.child.exitCode];
      assert.equal(code, 0, seed.output());
      const sized = seed
        .output()
        .split("\n")
        .filter((line) => line.includes('"msg":"heap sized to the fixture"'))
        .map((line) => JSON.parse(line) as { heapMb: number; pid: number });
      assert.equal(sized.length, 1, seed.output());
      assert.equal(sized[0]!.heapMb, Math.ceil(160 + 4 * megabytes));
      assert.equal(sized[0]!.pid, seed.child.pid, "run again in place (execve), not as a child");
      const db = openPostgres(url);
      try {
        const [row] = await db.query<{ credentials: number; authorizations: number }>(
          `select (select count(*)::int from credentials) as credentials,
                  (select count(*)::int from credential_authorizations) as authorizations`,
        );
        assert.deepEqual(row, { credentials: SIZE.credentials, authorizations: SIZE.authorizations });
      } finally {
        await db.close();
      }
    } finally {
      await drop();
    }
  });
});
