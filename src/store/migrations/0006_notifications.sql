-- The outbox of notifications to people: written in the same transaction as the change they tell
-- of, so none is lost or invented by a crash; a deliverer sends each once and marks it.
create table notifications (
  id bigint generated always as identity primary key,
  -- What happened: credentials_revoked (POST /credentials/revoke), ...
  kind text not null,
  user_id bigint references users (id) on delete cascade,
  recipient_login text not null,
  payload jsonb not null,
  created_at timestamptz not null default clock_timestamp(),
  delivered_at timestamptz,
  attempts integer not null default 0,
  last_error text
);
create index notifications_undelivered on notifications (id) where delivered_at is null
