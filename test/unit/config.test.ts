import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, parseConfig } from "../../src/config.ts";

describe("configuration", () => {
  it("defaults to embedded PGlite in .credauth/data on 127.0.0.1:3000", () => {
    const config = parseConfig({}, {}, "/srv");
    assert.deepEqual(config.database, { kind: "pglite", dataDir: "/srv/.credauth/data" });
    assert.deepEqual(config.http, { host: "127.0.0.1", port: 3000 });
    assert.equal(config.runWorker, true);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.jobs));
  });

  it("selects PostgreSQL from --database-url or DATABASE_URL, the flag first", () => {
    assert.deepEqual(parseConfig({}, { DATABASE_URL: "postgres://a/b" }).database, { kind: "postgres", url: "postgres://a/b" });
    assert.deepEqual(parseConfig({ databaseUrl: "postgresql://c/d" }, { DATABASE_URL: "postgres://a/b" }).database, { kind: "postgres", url: "postgresql://c/d" });
    assert.equal(parseConfig({ data: "x" }, { DATABASE_URL: "postgres://a/b" }, "/srv").database.kind, "pglite");
  });

  it("explains how to fix bad values", () => {
    assert.throws(() => parseConfig({ databaseUrl: "mysql://x" }, {}), (e: Error) => e instanceof ConfigError && /Omit it to use the embedded PGlite/.test(e.message));
    assert.throws(() => parseConfig({ port: "70000" }, {}), /--port \/ PORT must be a whole number from 0 to 65535/);
    assert.throws(() => parseConfig({ logLevel: "loud" }, {}), /must be one of fatal/);
    assert.throws(() => parseConfig({ data: "a", databaseUrl: "postgres://x" }, {}), /not both/);
    assert.throws(() => parseConfig({}, { CREDAUTH_JOB_HEARTBEAT_SECONDS: "5" }), /pg-boss requires at least 10/);
  });
});
