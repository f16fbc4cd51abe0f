// The revocation scope as SQL, in one place. Every read path (authentication, SSO checks) and the
// background job use these same predicates, which is what makes containment exact: what the job
// will materialize is exactly what the fence already hides. Inputs are the row aliases below.
import { DESTROYABLE_CREDENTIAL_TYPES } from "../domain/credential-types.ts";

// Constants from the domain, not client input: safe to inline.
const DESTROYABLE_TYPES_SQL = DESTROYABLE_CREDENTIAL_TYPES.map((type) => `'${type}'`).join(", ");

/** Authorization `a` (credential `c`, organization `o`) falls in revocation `r`. */
export const AUTHORIZATION_IN_SCOPE = `(
  o.enterprise_id = r.enterprise_id
  and (r.organization_id is null or r.organization_id = a.organization_id)
  and (r.target_user_id is null or r.target_user_id = c.user_id)
  and (r.credential_type is null or r.credential_type = c.type)
  and a.authorized_at <= r.requested_at)`;

/** Credential `c` (owner `u`) is destroyed by revocation `r`. */
export const CREDENTIAL_IN_DESTROY_SCOPE = `(
  r.revoke_credentials
  and u.managed_by_enterprise_id = r.enterprise_id
  and c.type in (${DESTROYABLE_TYPES_SQL})
  and c.user_id is distinct from r.exempt_user_id
  and (r.target_user_id is null or r.target_user_id = c.user_id)
  and (r.credential_type is null or r.credential_type = c.type)
  and c.created_at <= r.requested_at)`;

/** A revocation whose job has not finished still fences its scope. Failed ones keep fencing. */
export const UNSETTLED = `r.state <> 'succeeded'`;

/**
 * "Some unsettled revocation covers this row", as two probes that each use a partial index
 * (migration 3): enterprise- or organization-wide requests of the row's enterprise, and requests
 * that target the row's user. A burst of user-targeted revocations therefore costs each read only
 * the requests aimed at its own user, not every unsettled request of the enterprise.
 */
function fenced(predicate: string, enterprise: string, user: string): string {
  // First, once per statement (an uncorrelated InitPlan on the unsettled revocations' index): is
  // any revocation unsettled at all? Almost always none, and then no row pays the probes. Either
  // probe finding a revocation implies this one does, so the fence is exactly what it was.
  return `(exists (select 1 from revocations r where ${UNSETTLED})
        and (exists (select 1 from revocations r where ${UNSETTLED} and r.target_user_id is null and r.enterprise_id = ${enterprise} and ${predicate})
          or exists (select 1 from revocations r where ${UNSETTLED} and r.target_user_id = ${user} and ${predicate})))`;
}

/** Authorization `a` (credential `c`, organization `o`) is behind an unsettled revocation's fence. */
export const AUTHORIZATION_FENCED = fenced(AUTHORIZATION_IN_SCOPE, "o.enterprise_id", "c.user_id");
/** Credential `c` (owner `u`) is behind the fence of an unsettled revocation that destroys it. */
export const CREDENTIAL_FENCED = fenced(CREDENTIAL_IN_DESTROY_SCOPE, "u.managed_by_enterprise_id", "c.user_id");
export const AUTHORIZATION_OR_CREDENTIAL_FENCED = `(${AUTHORIZATION_FENCED} or ${CREDENTIAL_FENCED})`;
