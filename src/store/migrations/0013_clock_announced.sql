-- The clock moved (store/clock.ts) is told to every serving process on the read cache's channel,
-- 'c:<offset_ms>', before the write's own announcement: a process that has acknowledged the
-- write has adopted the offset, so the answer to the move waits until every one tells the same time.
create function credauth_announce_clock() returns trigger language plpgsql as $$
begin
  perform pg_notify('credauth_cache', 'c:' || new.offset_ms::text);
  return null;
end
$$;

create trigger credauth_clock_moved after update on credauth_clock
  for each row execute function credauth_announce_clock();
create trigger credauth_clock_announce after update on credauth_clock
  for each statement execute function credauth_announce_write();
