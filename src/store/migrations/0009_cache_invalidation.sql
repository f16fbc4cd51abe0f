-- The exact read cache across processes (store/cache-coherence.ts). Every committed transaction
-- that changes what an authenticated read can answer announces itself on the channel
-- credauth_cache as 'w:<its transaction id>'; PostgreSQL sends one such notification per
-- transaction, at commit, in commit order. Credential last-use times (accessed_at) are written
-- on reads and answer nothing cached, so updates of that column alone stay silent.
create function credauth_announce_write() returns trigger language plpgsql as $$
begin
  perform pg_notify('credauth_cache', 'w:' || pg_current_xact_id()::text);
  return null;
end
$$;

create trigger users_announce after insert or update or delete or truncate on users
  for each statement execute function credauth_announce_write();
create trigger organizations_announce after insert or update or delete or truncate on organizations
  for each statement execute function credauth_announce_write();
create trigger organization_roles_announce after insert or update or delete or truncate on organization_roles
  for each statement execute function credauth_announce_write();
create trigger credentials_announce after insert or update or delete or truncate on credentials
  for each statement execute function credauth_announce_write();
create trigger revocations_announce after insert or update or delete or truncate on revocations
  for each statement execute function credauth_announce_write();
create trigger credential_authorizations_announce after insert or delete or truncate on credential_authorizations
  for each statement execute function credauth_announce_write();
create trigger credential_authorizations_announce_update
  after update of credential_id, organization_id, authorized_at, revoked_at, revoked_by_revocation_id on credential_authorizations
  for each statement execute function credauth_announce_write();

-- The serve processes that answer reads from their cache: each beats every second, and one that
-- has not beaten for a few seconds is no longer waited for (and has stopped using its cache).
-- A process reads this table once, when it joins, to learn who is already there.
create table credauth_cache_members (
  id text primary key,
  pid integer not null,
  host text not null,
  heartbeat_at timestamptz not null default clock_timestamp()
);
