-- Runtime provisioning can remove enterprises, organizations, users and credentials. What goes
-- with them goes in the database (roles, authorizations, an enterprise's revocations); what only
-- referred to them keeps its record: a revocation remembers its requester and target by login.

alter table revocations add column requester_login text;
alter table revocations add column target_login text;
update revocations r set requester_login = u.login from users u where u.id = r.requester_id;
update revocations r set target_login = u.login from users u where u.id = r.target_user_id;
alter table revocations alter column requester_id drop not null;

alter table revocations drop constraint revocations_requester_id_fkey;
alter table revocations add constraint revocations_requester_id_fkey foreign key (requester_id) references users (id) on delete set null;
alter table revocations drop constraint revocations_target_user_id_fkey;
alter table revocations add constraint revocations_target_user_id_fkey foreign key (target_user_id) references users (id) on delete set null;
alter table revocations drop constraint revocations_exempt_user_id_fkey;
alter table revocations add constraint revocations_exempt_user_id_fkey foreign key (exempt_user_id) references users (id) on delete set null;
alter table revocations drop constraint revocations_requester_credential_id_fkey;
alter table revocations add constraint revocations_requester_credential_id_fkey foreign key (requester_credential_id) references credentials (id) on delete set null;
alter table revocations drop constraint revocations_enterprise_id_fkey;
alter table revocations add constraint revocations_enterprise_id_fkey foreign key (enterprise_id) references enterprises (id) on delete cascade;
alter table revocations drop constraint revocations_organization_id_fkey;
alter table revocations add constraint revocations_organization_id_fkey foreign key (organization_id) references organizations (id) on delete cascade;

alter table revocation_counts drop constraint revocation_counts_revocation_id_fkey;
alter table revocation_counts add constraint revocation_counts_revocation_id_fkey foreign key (revocation_id) references revocations (id) on delete cascade;
alter table audit_events drop constraint audit_events_revocation_id_fkey;
alter table audit_events add constraint audit_events_revocation_id_fkey foreign key (revocation_id) references revocations (id) on delete set null;
alter table credentials drop constraint credentials_destroyed_by_fkey;
alter table credentials add constraint credentials_destroyed_by_fkey foreign key (destroyed_by_revocation_id) references revocations (id) on delete set null;
alter table credential_authorizations drop constraint credential_authorizations_revoked_by_fkey;
alter table credential_authorizations add constraint credential_authorizations_revoked_by_fkey foreign key (revoked_by_revocation_id) references revocations (id) on delete set null;

alter table credential_authorizations drop constraint credential_authorizations_credential_id_fkey;
alter table credential_authorizations add constraint credential_authorizations_credential_id_fkey foreign key (credential_id) references credentials (id) on delete cascade;
alter table credential_authorizations drop constraint credential_authorizations_organization_id_fkey;
alter table credential_authorizations add constraint credential_authorizations_organization_id_fkey foreign key (organization_id) references organizations (id) on delete cascade;
alter table credentials drop constraint credentials_user_id_fkey;
alter table credentials add constraint credentials_user_id_fkey foreign key (user_id) references users (id) on delete cascade;
alter table enterprise_roles drop constraint enterprise_roles_enterprise_id_fkey;
alter table enterprise_roles add constraint enterprise_roles_enterprise_id_fkey foreign key (enterprise_id) references enterprises (id) on delete cascade;
alter table enterprise_roles drop constraint enterprise_roles_user_id_fkey;
alter table enterprise_roles add constraint enterprise_roles_user_id_fkey foreign key (user_id) references users (id) on delete cascade;
alter table organization_roles drop constraint organization_roles_organization_id_fkey;
alter table organization_roles add constraint organization_roles_organization_id_fkey foreign key (organization_id) references organizations (id) on delete cascade;
alter table organization_roles drop constraint organization_roles_user_id_fkey;
alter table organization_roles add constraint organization_roles_user_id_fkey foreign key (user_id) references users (id) on delete cascade;
alter table organizations drop constraint organizations_enterprise_id_fkey;
alter table organizations add constraint organizations_enterprise_id_fkey foreign key (enterprise_id) references enterprises (id) on delete cascade;
alter table users drop constraint users_managed_by_enterprise_id_fkey;
alter table users add constraint users_managed_by_enterprise_id_fkey foreign key (managed_by_enterprise_id) references enterprises (id) on delete set null;
alter table enterprises drop constraint enterprises_first_owner_fkey;
alter table enterprises add constraint enterprises_first_owner_fkey foreign key (first_owner_id) references users (id) on delete set null
