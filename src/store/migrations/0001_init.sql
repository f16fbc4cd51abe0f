-- credauth schema, version 1. Forward-only; see src/store/migrate.ts.

create table enterprises (
  id bigint generated always as identity primary key,
  slug text not null,
  name text not null,
  emu boolean not null default false,
  -- EMU only: the setup user, who can never be the target of a revocation.
  first_owner_id bigint,
  created_at timestamptz not null default clock_timestamp()
);
create unique index enterprises_slug_key on enterprises (lower(slug));

create table users (
  id bigint generated always as identity primary key,
  login text not null,
  -- Set for the managed users of an EMU enterprise; a user is managed by one enterprise at most.
  managed_by_enterprise_id bigint references enterprises (id),
  created_at timestamptz not null default clock_timestamp()
);
create unique index users_login_key on users (lower(login));
create index users_managed_by on users (managed_by_enterprise_id) where managed_by_enterprise_id is not null;

alter table enterprises add constraint enterprises_first_owner_fkey foreign key (first_owner_id) references users (id);

create table organizations (
  id bigint generated always as identity primary key,
  login text not null,
  enterprise_id bigint not null references enterprises (id),
  saml_sso boolean not null default true,
  created_at timestamptz not null default clock_timestamp()
);
create unique index organizations_login_key on organizations (lower(login));
create index organizations_enterprise on organizations (enterprise_id);

create table enterprise_roles (
  enterprise_id bigint not null references enterprises (id),
  user_id bigint not null references users (id),
  role text not null check (role in ('owner', 'credential_manager', 'guest_collaborator')),
  primary key (enterprise_id, user_id, role)
);
create index enterprise_roles_user on enterprise_roles (user_id);

create table organization_roles (
  organization_id bigint not null references organizations (id),
  user_id bigint not null references users (id),
  role text not null check (role in ('owner', 'member', 'outside_collaborator')),
  primary key (organization_id, user_id, role)
);
create index organization_roles_user on organization_roles (user_id);

create table credentials (
  id bigint generated always as identity primary key,
  user_id bigint not null references users (id),
  type text not null check (type in ('classic_pat', 'fine_grained_pat', 'oauth_app_token', 'github_app_token', 'ssh_key')),
  -- SHA-256 of the token; the token itself is never stored. SSH keys have no token.
  token_hash bytea,
  token_last_eight text,
  -- SSH keys: the public key (not a secret) and its SHA256 fingerprint.
  public_key text,
  fingerprint text,
  title text,
  note text,
  scopes text[] not null default '{}',
  permissions jsonb not null default '{}',
  resource_owner text,
  -- Identifies a credential declared without a token in a fixture, so loading it again is a no-op.
  fixture_key text,
  expires_at timestamptz,
  created_at timestamptz not null default clock_timestamp(),
  destroyed_at timestamptz,
  destroyed_by_revocation_id bigint,
  check ((type = 'ssh_key') = (token_hash is null))
);
create unique index credentials_token_hash_key on credentials (token_hash);
create unique index credentials_fixture_key on credentials (user_id, type, fixture_key) where fixture_key is not null;
create unique index credentials_ssh_fingerprint_key on credentials (user_id, fingerprint) where type = 'ssh_key';
create index credentials_user on credentials (user_id);

-- An SSO authorization: one credential allowed into one SAML-enforced organization. It is a
-- separate thing from the credential: revoking it leaves the credential alive, and a revoked
-- authorization can never be granted again (the unique key keeps the revoked row).
create table credential_authorizations (
  id bigint generated always as identity primary key,
  credential_id bigint not null references credentials (id),
  organization_id bigint not null references organizations (id),
  authorized_at timestamptz not null default clock_timestamp(),
  accessed_at timestamptz,
  revoked_at timestamptz,
  revoked_by_revocation_id bigint,
  unique (credential_id, organization_id)
);
create index credential_authorizations_org_live on credential_authorizations (organization_id, id) where revoked_at is null;

create table revocations (
  id bigint generated always as identity primary key,
  enterprise_id bigint not null references enterprises (id),
  -- Null for enterprise-wide requests; set by the organization endpoints.
  organization_id bigint references organizations (id),
  target_user_id bigint references users (id),
  credential_type text check (credential_type in ('classic_pat', 'fine_grained_pat', 'oauth_app_token', 'ssh_key')),
  revoke_credentials boolean not null default false,
  -- The first EMU owner at request time: never a target, and their credentials are never destroyed.
  exempt_user_id bigint references users (id),
  requester_id bigint not null references users (id),
  requester_credential_id bigint references credentials (id),
  state text not null default 'queued' check (state in ('queued', 'running', 'succeeded', 'failed')),
  -- The containment fence: until the row is 'succeeded', every authorization and credential in
  -- scope that existed at requested_at is treated as revoked/destroyed by every read path.
  requested_at timestamptz not null default clock_timestamp(),
  started_at timestamptz,
  finished_at timestamptz,
  attempts integer not null default 0,
  error text
);
create index revocations_unsettled on revocations (enterprise_id) where state <> 'succeeded';

alter table credentials add constraint credentials_destroyed_by_fkey foreign key (destroyed_by_revocation_id) references revocations (id);
alter table credential_authorizations add constraint credential_authorizations_revoked_by_fkey foreign key (revoked_by_revocation_id) references revocations (id);

create table revocation_counts (
  revocation_id bigint not null references revocations (id),
  effect text not null check (effect in ('authorization_revoked', 'credential_destroyed')),
  credential_type text not null,
  count bigint not null,
  primary key (revocation_id, effect, credential_type)
);

create table audit_events (
  id bigint generated always as identity primary key,
  document_id text not null default replace(gen_random_uuid()::text, '-', ''),
  action text not null,
  created_at timestamptz not null default clock_timestamp(),
  actor_id bigint,
  actor_login text,
  user_id bigint,
  user_login text,
  organization_id bigint,
  org_login text,
  enterprise_id bigint,
  business_slug text,
  revocation_id bigint references revocations (id),
  -- The authorization or credential the event is about; with revocation_id and action it makes a
  -- re-run batch unable to record the same event twice.
  subject_id bigint,
  data jsonb not null default '{}'
);
create unique index audit_events_document_id_key on audit_events (document_id);
create unique index audit_events_once_per_revocation on audit_events (revocation_id, action, subject_id) where revocation_id is not null;
create index audit_events_enterprise on audit_events (enterprise_id, id);
create index audit_events_organization on audit_events (organization_id, id);
