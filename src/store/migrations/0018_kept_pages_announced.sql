-- The pages of GitHub's read routes are kept until the next write too (http/exact-bodies.ts): the
-- audit log and a job's counts are announced to every serving process like the other tables
-- those pages read (migration 9). PostgreSQL sends one notification per transaction however many
-- statements announce, so a batch that also revokes costs nothing more.
create trigger audit_events_announce after insert or update or delete or truncate on audit_events
  for each statement execute function credauth_announce_write();
create trigger revocation_counts_announce after insert or update or delete or truncate on revocation_counts
  for each statement execute function credauth_announce_write();
