-- A write names what it touched (store/write-scopes.ts), so a read cache empties only the answers
-- that depend on it: a flood of revocations leaves the lookups every request makes (who the token
-- is, the organization, the caller's roles) cached. Each announcement is now 'w:<xid>:<scope>',
-- one per scope a transaction touched (PostgreSQL folds repeats); the scope is the table's name
-- unless the trigger gives another. The writing transaction also collects its scopes in the
-- setting credauth.written_scopes, which its own process reads just before it commits.
create or replace function credauth_announce_write() returns trigger language plpgsql as $$
declare
  scope text := coalesce(tg_argv[0], tg_table_name);
  written text := coalesce(nullif(current_setting('credauth.written_scopes', true), ''), ',');
begin
  perform pg_notify('credauth_cache', 'w:' || pg_current_xact_id()::text || ':' || scope);
  if position(',' || scope || ',' in written) = 0 then
    perform set_config('credauth.written_scopes', written || scope || ',', true);
  end if;
  return null;
end
$$;

-- Authentication reads revocations only through the fence of those that destroy credentials
-- (store/revocation-scope.ts): their rows are a scope of their own, so a revocation of SSO
-- authorizations alone leaves every principal cached.
create trigger revocations_announce_destroying_insert after insert on revocations
  for each row when (new.revoke_credentials) execute function credauth_announce_write('revocations_destroying');
create trigger revocations_announce_destroying_update after update on revocations
  for each row when (old.revoke_credentials or new.revoke_credentials)
  execute function credauth_announce_write('revocations_destroying');
create trigger revocations_announce_destroying_delete after delete on revocations
  for each row when (old.revoke_credentials) execute function credauth_announce_write('revocations_destroying');
create trigger revocations_announce_destroying_truncate after truncate on revocations
  for each statement execute function credauth_announce_write('revocations_destroying');

-- The rest of a revocation's work announces its tables too: a transaction that names no scope
-- counts as touching everything (store/write-scopes.ts), which a settling job must not.
create trigger revocation_shards_announce after insert or update or delete or truncate on revocation_shards
  for each statement execute function credauth_announce_write();
create trigger notifications_announce after insert or update or delete or truncate on notifications
  for each statement execute function credauth_announce_write();
create trigger notification_attempts_announce after insert or update or delete or truncate on notification_attempts
  for each statement execute function credauth_announce_write();
