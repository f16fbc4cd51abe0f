-- Sessions of the web console: a token (or the site-admin token) exchanged for a cookie. Only the
-- SHA-256 of the session id is stored, and the token's hash as the credentials table has it; a
-- session lives as long as its token does (the admin's: as long as configuration holds that token)
-- and at most until expires_at.
create table console_sessions (
  id_hash bytea primary key,
  kind text not null check (kind in ('token', 'admin')),
  token_hash bytea not null,
  created_at timestamptz not null default clock_timestamp(),
  expires_at timestamptz not null
);
create index console_sessions_expiry on console_sessions (expires_at);
