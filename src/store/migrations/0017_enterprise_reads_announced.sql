-- An enterprise and a caller's relation to it (enterprises, enterprise_roles) are read through the
-- exact read cache too now (store/cached-reads.ts): their writes are announced to every serving
-- process like the other tables such reads depend on (migration 9).
create trigger enterprises_announce after insert or update or delete or truncate on enterprises
  for each statement execute function credauth_announce_write();
create trigger enterprise_roles_announce after insert or update or delete or truncate on enterprise_roles
  for each statement execute function credauth_announce_write();
