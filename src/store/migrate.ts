// Numbered, forward-only .sql migrations. Each runs in its own transaction under an advisory
// lock, so several `credauth serve`/`worker` processes starting at once on one database apply each
// migration exactly once; a database newer than this build is refused rather than misread.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CREDENTIAL_TYPE_FACTS, CREDENTIAL_TYPES, REVOCABLE_CREDENTIAL_TYPES } from "../domain/credential-types.ts";
import type { Db, Queryable } from "./db.ts";

const MIGRATIONS_DIR = join(import.meta.dirname, "migrations");
// Arbitrary but fixed: the key of the advisory lock that serialises migrators.
const MIGRATION_LOCK_KEY = 7_130_541_001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(): Migration[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((file) => /^\d{4}_.+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 4)),
      name: file.replace(/\.sql$/, ""),
      sql: readFileSync(join(MIGRATIONS_DIR, file), "utf8"),
    }));
}

export class DatabaseTooNewError extends Error {
  constructor(databaseVersion: number, knownVersion: number) {
    super(
      `The database is at schema version ${databaseVersion}, but this credauth only knows up to ${knownVersion}. ` +
        `Upgrade credauth, or point it at another database.`,
    );
  }
}

/** Applies pending migrations; returns the versions applied by this call. */
export async function migrate(db: Db): Promise<number[]> {
  const migrations = loadMigrations();
  const latestKnown = migrations.at(-1)?.version ?? 0;
  // real time: when a migration ran is bookkeeping, not a rule.
  await db.exec(`create table if not exists credauth_migrations (
      version integer primary key,
      name text not null,
      applied_at timestamptz not null default now())`);
  const applied: number[] = [];
  for (const migration of migrations) {
    const didApply = await db.transaction(async (tx) => {
      await tx.query("select pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
      const [row] = await tx.query<{ max: number | null }>("select max(version) as max from credauth_migrations");
      const current = row?.max ?? 0;
      if (current > latestKnown) throw new DatabaseTooNewError(current, latestKnown);
      if (current >= migration.version) return false;
      await tx.query("insert into credauth_migrations (version, name) values ($1, $2)", [
        migration.version,
        migration.name,
      ]);
      for (const statement of splitStatements(migration.sql)) await tx.query(statement);
      return true;
    });
    if (didApply) applied.push(migration.version);
  }
  await db.transaction(async (tx) => {
    await tx.query("select pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
    await followCredentialTypes(tx);
  });
  const [row] = await db.query<{ max: number | null }>("select max(version) as max from credauth_migrations");
  if ((row?.max ?? 0) > latestKnown) throw new DatabaseTooNewError(row?.max ?? 0, latestKnown);
  return applied;
}

/**
 * Splits a migration into statements so each runs through the same parameterless query path in
 * the transaction: at each semicolon outside a dollar-quoted function body (`$$ … $$`). Comment
 * lines are dropped; migrations put no semicolons in strings or comments.
 */
export function splitStatements(sql: string): string[] {
  const text = sql
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("--"))
    .join("\n");
  const statements: string[] = [];
  let start = 0;
  let inBody = false;
  for (let at = 0; at < text.length; at++) {
    if (text.startsWith("$$", at)) {
      inBody = !inBody;
      at++;
    } else if (text[at] === ";" && !inBody) {
      statements.push(text.slice(start, at));
      start = at + 1;
    }
  }
  statements.push(text.slice(start));
  return statements.map((statement) => statement.trim()).filter((statement) => statement.length > 0);
}

/**
 * The checks that name credential types follow the domain's table (credential-types.ts), so a
 * type is added in that one place: each check is rebuilt when the types it names differ from the
 * table's. Names come from domain constants, never from input.
 */
async function followCredentialTypes(tx: Queryable): Promise<void> {
  const quoted = (types: readonly string[]) => types.map((type) => `'${type}'`).join(", ");
  const keyTypes = CREDENTIAL_TYPES.filter((type) => CREDENTIAL_TYPE_FACTS[type].prefix === null);
  const checks = [
    {
      table: "credentials",
      name: "credentials_type_check",
      names: CREDENTIAL_TYPES,
      definition: `check (type in (${quoted(CREDENTIAL_TYPES)}))`,
    },
    // A key has no token hash, a token always has one.
    {
      table: "credentials",
      name: "credentials_check",
      names: keyTypes,
      definition: `check ((type in (${quoted(keyTypes)})) = (token_hash is null))`,
    },
    {
      table: "revocations",
      name: "revocations_credential_type_check",
      names: REVOCABLE_CREDENTIAL_TYPES,
      definition: `check (credential_type in (${quoted(REVOCABLE_CREDENTIAL_TYPES)}))`,
    },
  ];
  for (const check of checks) {
    const [row] = await tx.query<{ definition: string }>(
      "select pg_get_constraintdef(oid) as definition from pg_constraint where conrelid = $1::regclass and conname = $2",
      [check.table, check.name],
    );
    const named = [...(row?.definition ?? "").matchAll(/'([^']+)'::text/g)].map((match) => match[1]!).sort();
    if (row && named.join(",") === [...check.names].sort().join(",")) continue;
    await tx.query(
      `alter table ${check.table} drop constraint if exists ${check.name}, add constraint ${check.name} ${check.definition}`,
    );
  }
}
