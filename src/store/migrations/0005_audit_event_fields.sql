-- Audit events follow GitHub's field meanings (docs/decisions.md): token_id, hashed_token,
-- token_scopes and programmatic_access_type describe the token that made the request, and the
-- credential an event is about moves to managed_* (with `owner`, its owner, on the
-- org_credential_authorization events). Events recorded before keep their content under these
-- names: a revocation's requesting token is known; a DELETE's or the admin API's was never kept.

update audit_events e
   set data = (e.data - 'credential_id' - 'token_id' - 'credential_type' - 'programmatic_access_type'
                      - 'token_last_eight' - 'hashed_token' - 'token_scopes')
              || jsonb_strip_nulls(jsonb_build_object(
                   'managed_credential_id', e.data->'credential_id',
                   'managed_credential_type', e.data->'programmatic_access_type',
                   'managed_token_last_eight', e.data->'token_last_eight',
                   'managed_hashed_token', e.data->'hashed_token',
                   'managed_token_scopes', e.data->'token_scopes',
                   'owner', case when e.action like 'org_credential_authorization.%' then to_jsonb(e.user_login) end))
              || coalesce((select jsonb_strip_nulls(jsonb_build_object(
                                    'token_id', c.id,
                                    'hashed_token', encode(c.token_hash, 'base64'),
                                    'token_scopes', case when c.type in ('classic_pat', 'oauth_app_token')
                                                         then array_to_string(c.scopes, ',') end,
                                    'programmatic_access_type', case c.type
                                      when 'classic_pat' then 'Personal access token (classic)'
                                      when 'fine_grained_pat' then 'Fine-grained personal access token'
                                      when 'oauth_app_token' then 'OAuth access token'
                                      when 'github_app_token' then 'GitHub App user-to-server token' end))
                             from revocations r join credentials c on c.id = r.requester_credential_id
                            where r.id = e.revocation_id), '{}'::jsonb)
 where e.action <> 'org_credential_authorization.grant' and e.data ? 'credential_id';

-- A grant's token fields are the credential granted (the member authorized it themselves).
update audit_events set data = data - 'credential_id' - 'credential_type'
 where action = 'org_credential_authorization.grant' and data ? 'credential_id'
