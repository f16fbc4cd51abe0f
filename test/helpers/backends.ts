// The same integration tests run on every backend: embedded PGlite always, and PostgreSQL when
// TEST_DATABASE_URL is set (CI sets it). Each test database is new and dropped afterwards.
import type { FastifyInstance } from "fastify";
import { type Config, parseConfig } from "../../src/config.ts";
import { buildApp } from "../../src/http/app.ts";
import type { Db } from "../../src/store/db.ts";
import { openPglite } from "../../src/store/pglite.ts";
import { createScratchDatabase } from "./postgres-admin.ts";
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
  /** A fresh database and a config that points at it; `drop` removes it. */
  create(overrides?: Overrides): Promise<{ config: Readonly<Config>; drop(): Promise<void> }>;
}

// Test code reads the environment directly: it is not part of credauth.
const adminUrl = process.env.TEST_DATABASE_URL;

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

export const postgresBackend: Backend | null = adminUrl
  ? {
      name: "postgres",
      async create(overrides = {}) {
        const database = await createScratchDatabase(adminUrl, "credauth_test");
        return { config: configFor({ databaseUrl: database.url }, overrides), drop: database.drop };
      },
    }
  : null;

export function backends(): Backend[] {
  return postgresBackend ? [pgliteBackend, postgresBackend] : [pgliteBackend];
}

export function newTestDatabaseUrl(): Promise<{ url: string; drop(): Promise<void> }> | null {
  if (!postgresBackend) return null;
  return postgresBackend.create().then(({ config, drop }) => ({ url: (config.database as { url: string }).url, drop }));
}

/**
 * An in-memory embedded database that starts migrated, pg-boss's schema included: a copy of the
 * run's template (helpers/template.ts). Pass it to buildApp as `db`; the caller closes it.
 */
export async function migratedPglite(): Promise<Db> {
  return openPglite(undefined, { loadDataDir: await templateDump() });
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
