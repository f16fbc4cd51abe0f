-- Notifications delivered: users have an email address, enterprises and organizations have webhooks
-- (their signing secrets encrypted, never in clear), and the outbox says by which channel each
-- message goes, what it is about, and how each delivery attempt went.
alter table users add column email text;

create table webhooks (
  id bigint generated always as identity primary key,
  enterprise_id bigint references enterprises (id) on delete cascade,
  organization_id bigint references organizations (id) on delete cascade,
  url text not null,
  -- AES-256-GCM under the configured secrets key: 12 bytes of IV, 16 of tag, then the ciphertext.
  -- Null: deliveries are not signed.
  secret_encrypted bytea,
  active boolean not null default true,
  created_at timestamptz not null default clock_timestamp(),
  constraint webhooks_one_owner check ((enterprise_id is null) <> (organization_id is null))
);
create unique index webhooks_enterprise_url on webhooks (enterprise_id, url) where enterprise_id is not null;
create unique index webhooks_organization_url on webhooks (organization_id, url) where organization_id is not null;

alter table notifications add column channel text not null default 'email';
alter table notifications add constraint notifications_channel check (channel in ('email', 'webhook'));
-- Where it goes, written with the message: the user's address then (null: none), or the webhook.
alter table notifications add column recipient text;
alter table notifications add column webhook_id bigint references webhooks (id) on delete cascade;
alter table notifications add column revocation_id bigint references revocations (id) on delete cascade;
-- The same id on every attempt (the email's Message-ID, the webhook's X-GitHub-Delivery), so a
-- receiver can drop a repeat sent after a crash between its acceptance and our record of it.
alter table notifications add column delivery_id uuid not null default gen_random_uuid();
-- Not sent, and never will be: why (no address, no mail server configured).
alter table notifications add column skipped_reason text;
-- A deliverer that took it is trying until then; after that (it died) another may.
alter table notifications add column leased_until timestamptz;
alter table notifications alter column recipient_login drop not null;
-- A revocation tells each user and each webhook once, however often it settles.
create unique index notifications_once_per_revocation
  on notifications (revocation_id, channel, coalesce(user_id, 0), coalesce(webhook_id, 0))
  where revocation_id is not null;
create index notifications_by_revocation on notifications (revocation_id, id) where revocation_id is not null;

create table notification_attempts (
  id bigint generated always as identity primary key,
  notification_id bigint not null references notifications (id) on delete cascade,
  attempted_at timestamptz not null default clock_timestamp(),
  duration_ms integer not null,
  delivered boolean not null,
  -- The webhook's HTTP status, or the SMTP reply code, when there was an answer.
  status_code integer,
  error text
);
create index notification_attempts_notification on notification_attempts (notification_id, id);
