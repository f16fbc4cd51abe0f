-- The transaction a snapshot was taken in (store/snapshots.ts): a row whose version is younger than
-- it has changed since, which lets a restore of a large world replace only those rows.
alter table credauth_snapshots add column taken_xid bigint;
