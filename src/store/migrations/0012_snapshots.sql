-- Snapshots of credauth's whole state (store/snapshots.ts), kept in the database itself: each is a
-- schema credauth_snapshot_<id> of copies of the data tables and the queued jobs, registered here
-- with the schema version it was taken at, where the sequences stood, and the clock's offset.
create table credauth_snapshots (
  name text primary key,
  id bigint generated always as identity unique,
  schema_version integer not null,
  sequences jsonb not null,
  clock_offset_ms bigint not null,
  taken_at timestamptz not null default credauth_now()
);

-- A restore loads the tables in any order and lets the foreign keys be checked at its commit
-- (enterprises and users refer to each other). Deferrable, but checked at once unless deferred.
do $$
declare
  fk record;
begin
  for fk in select conrelid::regclass as owner, conname from pg_constraint
             where contype = 'f' and not condeferrable and connamespace = 'public'::regnamespace loop
    execute format('alter table %s alter constraint %I deferrable initially immediate', fk.owner, fk.conname);
  end loop;
end
$$;
