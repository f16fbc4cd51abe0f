// Snapshots of credauth's whole state, inside its own database, for a test harness: saving copies
// every data table and the queued jobs into a schema of their own; restoring brings the live ones
// back to those copies (a small world emptied and copied whole, a large one by the rows changed
// since), sets the sequences where they stood and the clock's offset as it was, in one
// transaction. A reset is the restore of the snapshot taken at start-up.
import { writeClockOffset } from "./clock.ts";
import { BOSS_SCHEMA, type Db, type Queryable } from "./db.ts";
import { DATA_TABLES, eraseAllData, JOB_TABLES } from "./erase.ts";

/** The snapshot a server takes once its world is loaded at start-up; a reset restores it. */
export const START_SNAPSHOT = "start";

/** Below this much table data (a few thousand rows), emptying row by row beats TRUNCATE, and a whole copy beats finding the changes. */
const SMALL_WORLD_BYTES = 4 * 1024 * 1024;

export const SNAPSHOT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export interface SnapshotSummary {
  name: string;
  takenAt: Date;
  schemaVersion: number;
}

export type RestoreOutcome = "restored" | "unknown" | "other-schema-version";

/** Every table a snapshot copies, by its name in the live schema and its name in the snapshot's. */
const COPIED_TABLES: { live: string; copy: string }[] = [
  ...DATA_TABLES.map((table) => ({ live: `public.${table}`, copy: table })),
  ...JOB_TABLES.map((table) => ({ live: table, copy: table.replace(`${BOSS_SCHEMA}.`, "pgboss_") })),
];

const schemaOf = (id: number) => `credauth_snapshot_${id}`;

async function schemaVersion(db: Queryable): Promise<number> {
  const [row] = await db.query<{ version: number }>("select max(version) as version from credauth_migrations");
  return row?.version ?? 0;
}

/** Saves the state a reset returns to, once the world is loaded at start-up. */
export async function recordStartState(db: Db): Promise<void> {
  await db.transaction((tx) => saveSnapshot(tx, START_SNAPSHOT));
}

/** Saves the whole state as `name`, replacing a snapshot of that name; when. Run in a transaction. */
export async function saveSnapshot(tx: Queryable, name: string): Promise<{ takenAt: Date }> {
  await deleteSnapshot(tx, name);
  // The data tables' own sequences only: the register's must go on counting, or a later snapshot
  // would take an id one still holds.
  const sequences = await tx.query<{ name: string; last_value: string | null }>(
    `select ps.schemaname || '.' || ps.sequencename as name, ps.last_value::text
       from pg_sequences ps
       join pg_class s on s.relname = ps.sequencename and s.relnamespace = 'public'::regnamespace
       join pg_depend d on d.objid = s.oid and d.deptype in ('a', 'i')
       join pg_class t on t.oid = d.refobjid
      where ps.schemaname = 'public' and t.relname = any($1::text[])`,
    [DATA_TABLES],
  );
  const [row] = await tx.query<{ id: number; taken_at: Date }>(
    `insert into credauth_snapshots (name, schema_version, sequences, clock_offset_ms, taken_xid)
     values ($1, $2, $3, (select offset_ms from credauth_clock), txid_current()) returning id, taken_at`,
    [name, await schemaVersion(tx), JSON.stringify(Object.fromEntries(sequences.map((s) => [s.name, s.last_value])))],
  );
  const schema = schemaOf(row!.id);
  await tx.query(`create schema ${schema}`);
  for (const { live, copy } of COPIED_TABLES) await tx.query(`create table ${schema}.${copy} as table ${live}`);
  return { takenAt: row!.taken_at };
}

async function liveBytes(tx: Queryable): Promise<number> {
  const [size] = await tx.query<{ bytes: number }>(
    "select coalesce(sum(pg_relation_size(t)), 0)::float8 as bytes from unnest($1::regclass[]) as t",
    [COPIED_TABLES.map(({ live }) => live)],
  );
  return size?.bytes ?? 0;
}

/**
 * A large world, restored by its changes: every row whose version is younger than the snapshot's
 * transaction is deleted, and every row of the snapshot the live table lacks (those, and the rows
 * deleted since) is copied back; the rest was not touched since the snapshot and is left as it is.
 * Foreign-key actions are off meanwhile (session_replication_role, a superuser's setting): a
 * changed parent must not cascade into unchanged children. The write is announced to the other
 * processes' caches by hand, since the triggers that do it are off too.
 */
async function restoreChanges(tx: Queryable, schema: string, takenXid: string): Promise<void> {
  const keys = await tx.query<{ live: string; columns: string[] }>(
    `select c.oid::regclass::text as live, array_agg(a.attname::text order by k.position) as columns
       from pg_index i
       join pg_class c on c.oid = i.indrelid
       cross join lateral unnest(i.indkey) with ordinality as k(attnum, position)
       join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
      where i.indisprimary and c.oid = any($1::regclass[])
      group by c.oid`,
    [COPIED_TABLES.map(({ live }) => live)],
  );
  const keyOf = new Map(keys.map((row) => [row.live.includes(".") ? row.live : `public.${row.live}`, row.columns]));
  await tx.query("set local session_replication_role = replica");
  const [snapshotAge] = await tx.query<{ age: number }>("select age(($1::bigint % 4294967296)::text::xid) as age", [
    takenXid,
  ]);
  for (const { live, copy } of COPIED_TABLES) {
    const key = keyOf.get(live);
    if (key === undefined) {
      // No key to tell rows apart: the whole table, as a small world's.
      await tx.query(`delete from ${live}`);
      await tx.query(`insert into ${live} overriding system value select * from ${schema}.${copy}`);
      continue;
    }
    await tx.query(`delete from ${live} where age(xmin) < $1`, [snapshotAge!.age]);
    const match = key.map((column) => `l.${column} = s.${column}`).join(" and ");
    await tx.query(
      `insert into ${live} overriding system value
       select * from ${schema}.${copy} s where not exists (select 1 from ${live} l where ${match})`,
    );
  }
  await tx.query("set local session_replication_role = origin");
  await tx.query("select pg_notify('credauth_cache', 'w:' || pg_current_xact_id()::text)");
}

/** Whether this session may turn foreign-key actions off (restoreChanges). */
async function isSuperuser(tx: Queryable): Promise<boolean> {
  const [row] = await tx.query<{ superuser: boolean }>("select current_setting('is_superuser') = 'on' as superuser");
  return row?.superuser === true;
}

/**
 * Brings back the state saved as `name`. Run in a transaction; the caller then adopts the clock.
 * `smallWorldBytes` is where a restore stops copying everything back and looks for the changes.
 */
export async function restoreSnapshot(
  tx: Queryable,
  name: string,
  options: { smallWorldBytes?: number } = {},
): Promise<{ outcome: RestoreOutcome; clockOffsetMs: number }> {
  const [snapshot] = await tx.query<{
    id: number;
    schema_version: number;
    sequences: Record<string, string | null>;
    clock_offset_ms: string;
    taken_xid: string | null;
  }>(
    "select id, schema_version, sequences, clock_offset_ms::text, taken_xid::text from credauth_snapshots where name = $1",
    [name],
  );
  if (!snapshot) return { outcome: "unknown", clockOffsetMs: 0 };
  if (snapshot.schema_version !== (await schemaVersion(tx)))
    return { outcome: "other-schema-version", clockOffsetMs: 0 };
  const schema = schemaOf(snapshot.id);
  // Every foreign key is deferrable (migration 12): checked at commit, whatever order the tables
  // are emptied and loaded in.
  await tx.query("set constraints all deferred");
  const large = (await liveBytes(tx)) > (options.smallWorldBytes ?? SMALL_WORLD_BYTES);
  if (large && snapshot.taken_xid !== null && (await isSuperuser(tx))) {
    await restoreChanges(tx, schema, snapshot.taken_xid);
  } else {
    // A small world: emptied row by row (TRUNCATE's new files cost more than its rows: 18 ms
    // against 2 on the demo world, embedded), then only the tables that hold rows copied back;
    // statements are what its restore costs. A large one without a superuser: TRUNCATE, all copied.
    if (large) await eraseAllData(tx);
    else for (const { live } of COPIED_TABLES) await tx.query(`delete from ${live}`);
    const [held] = await tx.query<Record<string, boolean>>(
      `select ${COPIED_TABLES.map(({ copy }) => `exists (select 1 from ${schema}.${copy}) as ${copy}`).join(", ")}`,
    );
    for (const { live, copy } of COPIED_TABLES)
      if (held?.[copy]) await tx.query(`insert into ${live} overriding system value select * from ${schema}.${copy}`);
  }
  // Each sequence where it stood: one never used starts again at 1.
  const positions = Object.entries(snapshot.sequences);
  if (positions.length > 0)
    await tx.query(
      `select setval(sequence::regclass, coalesce(last_value, 1), last_value is not null)
         from unnest($1::text[], $2::bigint[]) as p(sequence, last_value)`,
      [positions.map(([sequence]) => sequence), positions.map(([, lastValue]) => lastValue)],
    );
  const clockOffsetMs = Number(snapshot.clock_offset_ms);
  await writeClockOffset(tx, clockOffsetMs);
  return { outcome: "restored", clockOffsetMs };
}

export async function listSnapshots(db: Queryable): Promise<SnapshotSummary[]> {
  const rows = await db.query<{ name: string; taken_at: Date; schema_version: number }>(
    "select name, taken_at, schema_version from credauth_snapshots order by taken_at, id",
  );
  return rows.map((row) => ({ name: row.name, takenAt: row.taken_at, schemaVersion: row.schema_version }));
}

/** Drops a snapshot and its copies; false when there was none of that name. */
export async function deleteSnapshot(tx: Queryable, name: string): Promise<boolean> {
  const [row] = await tx.query<{ id: number }>("delete from credauth_snapshots where name = $1 returning id", [name]);
  if (!row) return false;
  await tx.query(`drop schema if exists ${schemaOf(row.id)} cascade`);
  return true;
}

/** Drops every snapshot (tests hand a used database to the next test this way). */
export async function dropAllSnapshots(db: Pick<Queryable, "query">): Promise<void> {
  for (const { id } of await db.query<{ id: number }>("delete from credauth_snapshots returning id"))
    await db.query(`drop schema if exists ${schemaOf(id)} cascade`);
}
