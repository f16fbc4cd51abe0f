-- A fine-grained PAT's standing with the organization it was made for (its resource owner), as the
-- organization governs it (GET/POST /orgs/{org}/personal-access-tokens and -token-requests):
-- approved (it reaches the organization), pending (a request not yet reviewed), denied, or revoked.
-- Only an approved token acts on its resource owner.
alter table credentials add column org_access text not null default 'approved'
  check (org_access in ('approved', 'pending', 'denied', 'revoked'));
-- The owner's reason for a request, and when the standing last changed (granted: approved).
alter table credentials add column org_access_reason text;
alter table credentials add column org_access_changed_at timestamptz;
create index credentials_fine_grained_by_owner on credentials (lower(resource_owner), org_access, id)
  where type = 'fine_grained_pat' and destroyed_at is null;
