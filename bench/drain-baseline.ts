// The drain's baseline: the end state the revocation job reaches, reached by the fewest plain SQL
// statements on an identical copy of the database. "The same end state" is checked, not assumed:
// endStateFingerprint is taken on both databases after the run and must match.

import { CREDENTIAL_TYPE_FACTS } from "../src/domain/credential-types.ts";
import { AUDIT_ACTIONS } from "../src/domain/revocation.ts";
import { authorizationEventData, destroyedEventData, requestTokenData } from "../src/store/audit.ts";
import type { Db } from "../src/store/db.ts";
import { insertRevocations } from "../src/store/revocation-requests.ts";
import { ENTERPRISE } from "./world.ts";

/**
 * Revoke-all with revoke_credentials on the bench enterprise, the way a DBA would write it by hand:
 * every authorization of the enterprise's organizations and every destroyable credential of its
 * managed users but the requester's, each with its audit events, in two statements (and one for the counts).
 * The same columns are written as the job writes them (the revocation's id on every row and event,
 * the requester as actor, the same event data), so the comparison is work for work. With `parts`
 * above one, each statement is split into that many id ranges run at once on their own
 * connections: what the database itself gains from that many concurrent writers.
 */
export async function runDrainBaseline(db: Db, parts = 1): Promise<number> {
  const [requester] = await db.query<{ user_id: number; credential_id: number; enterprise_id: number }>(
    `select u.id as user_id, c.id as credential_id, e.id as enterprise_id
       from enterprises e join users u on u.id = e.first_owner_id join credentials c on c.user_id = u.id
      where e.slug = $1 order by c.id limit 1`,
    [ENTERPRISE],
  );
  if (!requester) throw new Error("the bench world has no first owner");
  // The request itself is not timed: on the job's side it happens before the 202.
  const [inserted] = await db.transaction((tx) =>
    insertRevocations(tx, [
      {
        scope: {
          enterpriseId: requester.enterprise_id,
          organizationId: null,
          targetUserId: null,
          credentialType: null,
          revokeCredentials: true,
          exemptUserId: requester.user_id,
        },
        requester: { userId: requester.user_id, credentialId: requester.credential_id },
      },
    ]),
  );
  const id = inserted!.id;
  const [bounds] = await db.query<{ authorizations: number; credentials: number }>(
    "select coalesce((select max(id) from credential_authorizations), 0) as authorizations, coalesce((select max(id) from credentials), 0) as credentials",
  );
  // Each statement answers its rows by type; the counts are written once at the end, so that
  // concurrent parts never wait on each other's count rows.
  type Counted = { effect: string; type: string; n: number };
  const counted: Counted[] = [];
  const inParts = async (maxId: number, statement: (range: string, values: number[]) => Promise<Counted[]>) => {
    if (parts === 1) return void counted.push(...(await statement("", [])));
    const step = Math.ceil(maxId / parts);
    const answers = await Promise.all(
      Array.from({ length: parts }, (_, i) =>
        statement("and $4::bigint < id_column and id_column <= $5::bigint", [i * step, (i + 1) * step]),
      ),
    );
    counted.push(...answers.flat());
  };
  const started = performance.now();
  await inParts(bounds!.authorizations, (range, values) =>
    db.query<Counted>(
      `with r as materialized (select * from revocations where id = $1),
     revoked as (
       update credential_authorizations a set revoked_at = now(), revoked_by_revocation_id = $1
         from credentials c, organizations o, r
        where o.id = a.organization_id and o.enterprise_id = r.enterprise_id and a.revoked_at is null and c.id = a.credential_id
          ${range.replaceAll("id_column", "a.id")}
       returning a.id, a.organization_id, o.login as org_login, c.user_id, c.type, c as credential),
     events as (
       insert into audit_events (action, actor_id, actor_login, user_id, user_login, organization_id, org_login,
                                 enterprise_id, business_slug, revocation_id, subject_id, data)
       select act.action, q.id, q.login, u.id, u.login, rv.organization_id, rv.org_login, e.id, e.slug, $1, rv.id,
              ${authorizationEventData("(rv.credential)", "rv.id", "u.login", "q.token")}
         from revoked rv join users u on u.id = rv.user_id
         cross join r join enterprises e on e.id = r.enterprise_id
         cross join (select u.id, u.login, ${requestTokenData("rc")} as token
                       from r join users u on u.id = r.requester_id join credentials rc on rc.id = r.requester_credential_id) q
         cross join lateral (values ($2::text), ('${AUDIT_ACTIONS.authorizationDeauthorized}'::text), (case when rv.type = 'fine_grained_pat' then $3::text end)) act(action)
        where act.action is not null)
     select 'authorization_revoked' as effect, type, count(*)::int as n from revoked group by type`,
      [id, AUDIT_ACTIONS.authorizationRevoked, CREDENTIAL_TYPE_FACTS.fine_grained_pat.alsoRecordedOnRevoke, ...values],
    ),
  );
  await inParts(bounds!.credentials, (range, values) =>
    db.query<Counted>(
      `with r as materialized (select * from revocations where id = $1),
     destroyed as (
       update credentials c set destroyed_at = now(), destroyed_by_revocation_id = $1
         from users u, r
        where u.id = c.user_id and u.managed_by_enterprise_id = r.enterprise_id and c.destroyed_at is null
          and c.type in ('classic_pat', 'fine_grained_pat', 'ssh_key') and c.user_id <> r.exempt_user_id
          ${range.replaceAll("id_column", "c.id")}
       returning c.id, c.user_id, c.type, u.login as user_login, c as credential),
     events as (
       insert into audit_events (action, actor_id, actor_login, user_id, user_login, enterprise_id, business_slug,
                                 revocation_id, subject_id, data)
       select case when d.type = 'ssh_key' then $2 else $3 end, q.id, q.login, d.user_id, d.user_login, e.id, e.slug, $1, d.id,
              ${destroyedEventData("(d.credential)", "q.token")}
         from destroyed d cross join r join enterprises e on e.id = r.enterprise_id
         cross join (select u.id, u.login, ${requestTokenData("rc")} as token
                       from r join users u on u.id = r.requester_id join credentials rc on rc.id = r.requester_credential_id) q)
     select 'credential_destroyed' as effect, type, count(*)::int as n from destroyed group by type`,
      [id, CREDENTIAL_TYPE_FACTS.ssh_key.destroyedAction, CREDENTIAL_TYPE_FACTS.classic_pat.destroyedAction, ...values],
    ),
  );
  await db.query(
    `insert into revocation_counts (revocation_id, effect, credential_type, count)
     select $1, effect, type, sum(n) from unnest($2::text[], $3::text[], $4::int[]) k(effect, type, n) group by effect, type`,
    [id, counted.map((c) => c.effect), counted.map((c) => c.type), counted.map((c) => c.n)],
  );
  await db.query("update revocations set state = 'succeeded', started_at = now(), finished_at = now() where id = $1", [
    id,
  ]);
  return performance.now() - started;
}

/**
 * What a finished revoke-all leaves behind, as an order-independent digest: which rows are revoked
 * or destroyed and by which revocation, every audit event's content (not its id or time), and the
 * counts. Equal digests mean the job and the baseline did the same work.
 */
export async function endStateFingerprint(db: Db): Promise<string> {
  const [row] = await db.query<{ digest: string }>(
    `select concat_ws(' / ',
       (select count(*) || ':' || coalesce(sum(hashtext(id || ':' || revoked_by_revocation_id)::bigint), 0) from credential_authorizations where revoked_at is not null),
       (select count(*) || ':' || coalesce(sum(hashtext(id || ':' || destroyed_by_revocation_id)::bigint), 0) from credentials where destroyed_at is not null),
       (select count(*) || ':' || coalesce(sum(hashtext(concat_ws('|', action, actor_id, actor_login, user_id, user_login, organization_id, org_login,
                                                                   enterprise_id, business_slug, revocation_id, subject_id, data::text))::bigint), 0) from audit_events),
       (select string_agg(revocation_id || effect || credential_type || '=' || count, ',' order by revocation_id, effect, credential_type) from revocation_counts)) as digest`,
  );
  return row?.digest ?? "";
}

/**
 * The same revocation on bare tables: a copy of every authorization as (id, user, organization,
 * revoked_at) and of every credential as (id, user, type, destroyed_at), no audit events, no
 * counts, no fence, no revocation row. What the statements cost without the faithful schema, so the
 * drain table shows what that schema costs. The copies are made before the clock starts.
 */
export async function runMinimalSchemaBaseline(db: Db): Promise<number> {
  const [requester] = await db.query<{ user_id: number }>(
    "select e.first_owner_id as user_id from enterprises e where e.slug = $1",
    [ENTERPRISE],
  );
  if (!requester) throw new Error("the bench world has no first owner");
  await db.query(
    `create table minimal_authorizations as
       select a.id, c.user_id, a.organization_id, a.revoked_at from credential_authorizations a join credentials c on c.id = a.credential_id`,
  );
  await db.query("create table minimal_credentials as select id, user_id, type, destroyed_at from credentials");
  await db.query("alter table minimal_authorizations add primary key (id)");
  await db.query("alter table minimal_credentials add primary key (id)");
  const destroyable = Object.entries(CREDENTIAL_TYPE_FACTS)
    .filter(([, facts]) => facts.destroyable)
    .map(([type]) => type);
  const started = performance.now();
  await db.query("update minimal_authorizations set revoked_at = now() where revoked_at is null");
  await db.query(
    `update minimal_credentials set destroyed_at = now()
      where destroyed_at is null and type = any($1::text[]) and user_id is distinct from $2`,
    [destroyable, requester.user_id],
  );
  return performance.now() - started;
}
