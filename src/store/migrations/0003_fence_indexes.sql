-- The containment fence is read on every authenticated request. Two partial indexes let each read
-- look only at unsettled requests that can concern it: those that cover a whole enterprise or
-- organization, and those aimed at its own user (see revocation-scope.ts).
create index revocations_unsettled_enterprise_wide on revocations (enterprise_id) where state <> 'succeeded' and target_user_id is null;
create index revocations_unsettled_by_target on revocations (target_user_id) where state <> 'succeeded';
drop index revocations_unsettled
