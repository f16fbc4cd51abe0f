// POST /credentials/revoke: credentials revoked by their value, whoever holds them. The tokens are
// destroyed, audited and their owners' notifications recorded in one statement, so that all of it
// or none of it happens.

import { destroyedEventData, insertAuditEvents } from "./audit.ts";
import { caseByCredentialType, credentialTypesWhere } from "./credential-type-sql.ts";
import type { Queryable } from "./db.ts";

/** The types POST /credentials/revoke takes (GitHub's list of accepted prefixes). */
const REVOCABLE_BY_VALUE = credentialTypesWhere((facts) => facts.valueRevocationAction !== null);

/**
 * Destroys the live credentials whose token hashes are in `$1`, records one audit event each (no
 * actor: the request is anonymous; in the enterprise that manages the owner, if any) and one
 * notification per owner listing what was revoked. Unknown and already destroyed values change
 * nothing.
 */
const REVOKE_BY_VALUE = `with destroyed as (
       update credentials c set destroyed_at = (select credauth_now())
         from users u
        where c.token_hash = any($1::bytea[]) and c.destroyed_at is null and u.id = c.user_id
          and c.type in ${REVOCABLE_BY_VALUE}
       returning c.id, c.user_id, c.type, u.login as user_login, u.email as user_email, u.managed_by_enterprise_id,
                 c as credential),
     events as (
       ${insertAuditEvents(`select ${caseByCredentialType("d.type", (facts) => facts.valueRevocationAction)}, null, null,
              d.user_id, d.user_login, null, null, e.id, e.slug, null, d.id,
              ${destroyedEventData("(d.credential)", "'{}'::jsonb")}
         from destroyed d left join enterprises e on e.id = d.managed_by_enterprise_id`)}),
     notified as (
       insert into notifications (kind, channel, user_id, recipient_login, recipient, payload)
       select 'credentials_revoked', 'email', d.user_id, d.user_login, d.user_email,
              jsonb_build_object('reason', 'reported',
                                 'credentials', jsonb_agg(jsonb_build_object(
                                   'credential_type', d.type, 'token_last_eight', (d.credential).token_last_eight,
                                   'note', (d.credential).note) order by d.id))
         from destroyed d group by d.user_id, d.user_login, d.user_email
       returning id)
     select (select count(*)::int from destroyed) as revoked,
            (select coalesce(array_agg(id), '{}') from notified) as notification_ids`;

/**
 * Revokes the credentials with these token hashes: how many were live (never told to the caller),
 * and the notifications recorded for their owners.
 */
export async function revokeCredentialsByValue(
  db: Queryable,
  tokenHashes: Uint8Array[],
): Promise<{ revoked: number; notificationIds: number[] }> {
  if (tokenHashes.length === 0) return { revoked: 0, notificationIds: [] };
  const [row] = await db.query<{ revoked: number; notification_ids: number[] }>(REVOKE_BY_VALUE, [tokenHashes]);
  return { revoked: row?.revoked ?? 0, notificationIds: (row?.notification_ids ?? []).map(Number) };
}
