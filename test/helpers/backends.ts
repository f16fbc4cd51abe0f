// The same integration tests run on every backend: embedded PGlite always, and PostgreSQL when
// TEST_DATABASE_URL is set (CI sets it). Each test gets an empty, migrated database: a new one, or
// one an earlier test of the same process used, emptied (below).

import { after } from "node:test";
import type { PGlite } from "@electric-sql/pglite";
import type { FastifyInstance } from "fastify";
import pg from "pg";
import { type Config, parseConfig } from "../../src/config.ts";
import { buildApp } from "../../src/http/app.ts";
import { BOSS_SCHEMA, type Db } from "../../src/store/db.ts";
import { eraseAllData } from "../../src/store/erase.ts";
import { openDatabase } from "../../src/store/open.ts";
import { openPglite } from "../../src/store/pglite.ts";
import { dropAllSnapshots } from "../../src/store/snapshots.ts";
import { createScratchDatabase, type ScratchDatabase } from "./postgres-admin.ts";
import { templateDump } from "./template.ts";

export interface Overrides {
  runWorker?: boolean;
  /** Integration tests send hundreds of writes a minute as one user: limits are off unless a test turns them on. */
  rateLimit?: "github" | "off";
  adminToken?: string;
  userAgent?: "required" | "optional";
  jobs?: Partial<Config["jobs"]>;
  /** Tests that read the log lines ask for them. (Default: silent) */
  logLevel?: "info" | "debug";
  /** Where notification emails go (Default: no mail server). */
  smtpUrl?: string;
  /** CREDAUTH_SECRETS_KEY, for webhook secrets (Default: none). */
  secretsKeyHex?: string;
  /** Webhooks may go to loopback (the tests' receivers listen on 127.0.0.1). (Default: refused) */
  allowPrivateWebhooks?: boolean;
  /** Rate-limit counters in this Redis, under this key prefix (Default: in memory). */
  rateLimitRedis?: { url: string; prefix: string };
}

export interface Backend {
  name: "pglite" | "postgres";
  /**
   * An empty database and a config that points at it; `drop` removes it (or keeps it, to empty
   * for a later test). `fresh`: one never used, not even migrated.
   */
  create(
    overrides?: Overrides,
    options?: { fresh?: boolean },
  ): Promise<{ config: Readonly<Config>; drop(): Promise<void> }>;
}

// Test code reads the environment directly: it is not part of credauth.
const adminUrl = process.env.TEST_DATABASE_URL;

// Opening an embedded database from the template costs over a second of CPU, and creating,
// migrating and dropping a PostgreSQL one about a second; emptying either costs milliseconds
// (store/erase.ts, the same call a harness reset makes). So a test process keeps the databases its
// tests closed or dropped, and hands them out again emptied. An open PGlite keeps its process
// alive: when the process's tests are done, every database is closed, every scratch one dropped.
const idle: (Db & { pglite: PGlite })[] = [];
const idleDatabases: ScratchDatabase[] = [];
let filesTestsDone = false;
after(async () => {
  filesTestsDone = true;
  await Promise.all([...idle.splice(0).map((db) => db.close()), ...idleDatabases.splice(0).map((db) => db.drop())]);
});

function configFor(database: { data?: string; databaseUrl?: string }, overrides: Overrides) {
  const base = parseConfig(
    {
      ...database,
      logLevel: overrides.logLevel ?? "silent",
      worker: overrides.runWorker ?? false,
      rateLimit: overrides.rateLimit ?? "off",
      ...(overrides.userAgent ? { userAgent: overrides.userAgent } : {}),
      ...(overrides.adminToken ? { adminToken: overrides.adminToken } : {}),
      ...(overrides.smtpUrl ? { smtpUrl: overrides.smtpUrl } : {}),
      ...(overrides.allowPrivateWebhooks ? { allowPrivateWebhooks: true } : {}),
      ...(overrides.rateLimitRedis
        ? { rateLimitRedisUrl: overrides.rateLimitRedis.url, rateLimitRedisPrefix: overrides.rateLimitRedis.prefix }
        : {}),
    },
    overrides.secretsKeyHex ? { CREDAUTH_SECRETS_KEY: overrides.secretsKeyHex } : {},
  );
  return Object.freeze({ ...base, jobs: Object.freeze({ ...base.jobs, ...overrides.jobs }) }) as Readonly<Config>;
}

export const pgliteBackend: Backend = {
  name: "pglite",
  async create(overrides = {}) {
    return { config: configFor({ data: ":memory:" }, overrides), drop: async () => {} };
  },
};

/** A PostgreSQL database an earlier test dropped, emptied; null when none is waiting. */
async function reusedDatabase(): Promise<ScratchDatabase | null> {
  for (let database = idleDatabases.pop(); database; database = idleDatabases.pop()) {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      // Ready for an app: migrated, and pg-boss's schema made (a test may have done only the first).
      const [found] = (
        await client.query(
          `select to_regclass('credauth_migrations') is not null and to_regclass('${BOSS_SCHEMA}.job') is not null as ready`,
        )
      ).rows;
      if (found?.ready) {
        const queryable = { query: async (text: string) => (await client.query(text)).rows };
        await eraseAllData(queryable);
        await dropAllSnapshots(queryable);
        return database;
      }
    } finally {
      await client.end();
    }
    await database.drop(); // not ready: no use to the next test
  }
  return null;
}

export const postgresBackend: Backend | null = adminUrl
  ? {
      name: "postgres",
      async create(overrides = {}, options = {}) {
        const database =
          (options.fresh ? null : await reusedDatabase()) ?? (await createScratchDatabase(adminUrl, "credauth_test"));
        let dropped = false;
        return {
          config: configFor({ databaseUrl: database.url }, overrides),
          async drop() {
            if (dropped) return;
            dropped = true;
            if (filesTestsDone) await database.drop();
            else idleDatabases.push(database);
          },
        };
      },
    }
  : null;

export function backends(): Backend[] {
  return postgresBackend ? [pgliteBackend, postgresBackend] : [pgliteBackend];
}

/** A new PostgreSQL database, never used: processes under test migrate it themselves. */
export function newTestDatabaseUrl(): Promise<{ url: string; drop(): Promise<void> }> | null {
  if (!postgresBackend) return null;
  return postgresBackend
    .create({}, { fresh: true })
    .then(({ config, drop }) => ({ url: (config.database as { url: string }).url, drop }));
}

/**
 * An in-memory embedded database that starts migrated and empty, pg-boss's schema included: a copy
 * of the run's template (helpers/template.ts), or one an earlier test closed, emptied. Pass it to
 * buildApp as `db`; the caller closes it.
 */
export async function migratedPglite(): Promise<Db> {
  let db = idle.pop();
  if (db) {
    await eraseAllData(db);
    await dropAllSnapshots(db);
  } else db = await openPglite(undefined, { loadDataDir: await templateDump() });
  const kept = db;
  let closed = false;
  const open = async () => {
    if (closed) throw new Error("PGlite is closed");
  };
  return {
    ...kept,
    // Closed is closed for the test that had it, as for a database of its own.
    query: (text, values) => open().then(() => kept.query(text, values)),
    exec: (sql) => open().then(() => kept.exec(sql)),
    transaction: (fn) => open().then(() => kept.transaction(fn)),
    async close() {
      if (closed) return;
      closed = true;
      // A database left inside a transaction, or closed underneath, is not handed out again.
      if (filesTestsDone || kept.pglite.closed || kept.connections().busy > 0) await kept.close();
      else idle.push(kept);
    },
  };
}

/**
 * A database of `backend` never used, not even migrated, open; `drop` closes and removes it.
 * Embedded, a copy of initdb's result (helpers/template.ts) rather than a second initdb.
 */
export async function freshDatabase(backend: Backend): Promise<{ db: Db; drop(): Promise<void> }> {
  if (backend.name === "pglite") {
    const db = await openPglite(undefined, { loadDataDir: await templateDump("empty") });
    return { db, drop: () => db.close() };
  }
  const { config, drop } = await backend.create({}, { fresh: true });
  const db = await openDatabase(config.database);
  return {
    db,
    async drop() {
      await db.close();
      await drop();
    },
  };
}

/** A built app on a new database of `backend` (embedded: from the migrated template); `close` removes both. */
export async function buildTestApp(
  backend: Backend,
  overrides: Overrides = {},
  options: { logStream?: { write(line: string): void } } = {},
): Promise<{ app: FastifyInstance; close(): Promise<void> }> {
  const { config, drop } = await backend.create(overrides);
  const db = backend.name === "pglite" ? await migratedPglite() : undefined;
  const app = await buildApp(config, { ...(db ? { db } : {}), ...options });
  return {
    app,
    async close() {
      await app.close();
      await db?.close();
      await drop();
    },
  };
}
