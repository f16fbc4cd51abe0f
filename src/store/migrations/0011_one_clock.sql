-- One clock (domain/clock.ts): every rule that reads time in SQL reads credauth_now(), real time
-- plus the offset kept here, so a test harness can move time for all of them at once. The one row
-- is 0 ms unless something moved it. Leases and heartbeats between processes keep real time.
create table credauth_clock (
  only_row boolean primary key default true check (only_row),
  offset_ms bigint not null default 0
);
insert into credauth_clock default values;

-- real time: the clock's own reading, plus the offset.
create function credauth_now() returns timestamptz language sql volatile as $$
  select clock_timestamp() + make_interval(secs => coalesce((select offset_ms from credauth_clock), 0) / 1000.0)
$$;

alter table enterprises alter column created_at set default credauth_now();
alter table users alter column created_at set default credauth_now();
alter table organizations alter column created_at set default credauth_now();
alter table credentials alter column created_at set default credauth_now();
alter table credential_authorizations alter column authorized_at set default credauth_now();
alter table revocations alter column requested_at set default credauth_now();
alter table audit_events alter column created_at set default credauth_now();
alter table notifications alter column created_at set default credauth_now();
alter table webhooks alter column created_at set default credauth_now();
alter table notification_attempts alter column attempted_at set default credauth_now();
alter table console_sessions alter column created_at set default credauth_now();
