// The notification outbox: rows written in the transaction of the change they tell of (a revocation
// settling; a credential revoked by value), read by the deliverer, and each delivery attempt logged.

import type { Queryable } from "./db.ts";

export type NotificationChannel = "email" | "webhook";

/**
 * What a revocation's settling tells whom, as common table expressions to run in the statement
 * that settles it ($1 = the revocation): one email per user it touched (found through its audit
 * events, one index range), listing the authorizations it revoked and the credentials it
 * destroyed, to the user's address at that moment (null if none); and one post per active webhook
 * watching it — its enterprise's, and its organization's, or for an enterprise-wide revocation
 * every organization's of the enterprise. A revocation that settles again adds nothing.
 * What it revoked and destroyed is read by its own id, never joined to the recipients: right
 * after a large revocation the statistics still say no row carries that id, and the planner
 * then looped over the recipients for every credential (2.9 s at 4,000 users instead of 0.3).
 */
export const RECORD_REVOCATION_NOTIFICATIONS = `recipients as (
       select distinct user_id from audit_events where revocation_id = $1 and user_id is not null),
     revoked as (
       select c.user_id,
              jsonb_agg(jsonb_build_object('organization', o.login, 'credential_type', c.type,
                                           'note', coalesce(c.note, c.title), 'token_last_eight', c.token_last_eight,
                                           'fingerprint', c.fingerprint) order by a.id) as items
         from credential_authorizations a
         join credentials c on c.id = a.credential_id
         join organizations o on o.id = a.organization_id
        where a.revoked_by_revocation_id = $1
        group by c.user_id),
     destroyed as (
       select c.user_id,
              jsonb_agg(jsonb_build_object('credential_type', c.type, 'note', coalesce(c.note, c.title),
                                           'token_last_eight', c.token_last_eight, 'fingerprint', c.fingerprint)
                        order by c.id) as items
         from credentials c
        where c.destroyed_by_revocation_id = $1
        group by c.user_id),
     emails as (
       insert into notifications (kind, channel, user_id, recipient_login, recipient, revocation_id, payload)
       select 'revocation', 'email', u.id, u.login, u.email, $1,
              jsonb_build_object('authorizations_revoked', coalesce(rv.items, '[]'::jsonb),
                                 'credentials_destroyed', coalesce(d.items, '[]'::jsonb))
         from recipients rc
         join users u on u.id = rc.user_id
         left join revoked rv on rv.user_id = u.id
         left join destroyed d on d.user_id = u.id
        where rv.user_id is not null or d.user_id is not null
        order by u.id
       on conflict do nothing
       returning id),
     webhook_posts as (
       insert into notifications (kind, channel, webhook_id, recipient, revocation_id, payload)
       select 'revocation', 'webhook', w.id, w.url, r.id, '{}'::jsonb
         from revocations r
         join webhooks w on w.active
          and (w.enterprise_id = r.enterprise_id
               or w.organization_id = r.organization_id
               or (r.organization_id is null
                   and w.organization_id in (select o.id from organizations o where o.enterprise_id = r.enterprise_id)))
        where r.id = $1
        order by w.id
       on conflict do nothing
       returning id)`;

/**
 * Which notifications a delivery job covers: a revocation's (its emails, when `channel` says so;
 * jobs queued before channels were split carry none and cover both), some by id, or every pending one.
 */
export type NotificationSelection =
  | { revocationId: number; channel?: NotificationChannel }
  | { ids: number[] }
  | { pending: true };

const selectionParameters = (selection: NotificationSelection) => [
  "revocationId" in selection ? selection.revocationId : null,
  "ids" in selection ? selection.ids : null,
  "revocationId" in selection ? (selection.channel ?? null) : null,
];

/** Why an email is not sent: the words the delivery log shows. */
export const NO_EMAIL_ADDRESS = "the user has no email address";
export const NO_MAIL_SERVER = "no mail server is configured (--smtp-url)";

/**
 * Marks a revocation's undelivered emails skipped, each saying why, in the transaction that
 * recorded them: where no mail server is configured there is nothing a delivery job could do.
 */
export async function skipRevocationEmails(tx: Queryable, revocationId: number): Promise<number> {
  const [row] = await tx.query<{ skipped: number }>(
    `with skipped as (
       update notifications
          set skipped_reason = case when recipient is null then $2 else $3 end, leased_until = null
        where revocation_id = $1 and channel = 'email' and delivered_at is null and skipped_reason is null
       returning id)
     select count(*)::int as skipped from skipped`,
    [revocationId, NO_EMAIL_ADDRESS, NO_MAIL_SERVER],
  );
  return row?.skipped ?? 0;
}

/** Where a revocation's undelivered notifications go: its emails, and each webhook's posts by id. */
export async function notificationDestinations(
  tx: Queryable,
  revocationId: number,
): Promise<{ emails: boolean; webhooks: { webhookId: number; ids: number[] }[] }> {
  const rows = await tx.query<{ channel: NotificationChannel; webhook_id: number | null; ids: number[] }>(
    `select channel, webhook_id, array_agg(id order by id) as ids
       from notifications
      where revocation_id = $1 and delivered_at is null and skipped_reason is null
      group by channel, webhook_id
      order by webhook_id nulls first`,
    [revocationId],
  );
  return {
    emails: rows.some((row) => row.channel === "email"),
    webhooks: rows
      .filter((row) => row.channel === "webhook" && row.webhook_id !== null)
      .map((row) => ({ webhookId: row.webhook_id!, ids: row.ids.map(Number) })),
  };
}

export interface PendingNotification {
  id: number;
  kind: string;
  channel: NotificationChannel;
  userId: number | null;
  recipientLogin: string | null;
  /** The email address, or the webhook's URL when the row was written. */
  recipient: string | null;
  revocationId: number | null;
  webhookId: number | null;
  /** The webhook's URL now, and its encrypted secret (null: unsigned). */
  webhookUrl: string | null;
  webhookSecret: Uint8Array | null;
  deliveryId: string;
  payload: Record<string, unknown>;
  attempts: number;
}

/**
 * Takes the next `limit` undelivered, unskipped notifications of the selection with ids above
 * `afterId`, oldest first, for `leaseSeconds`: no other deliverer takes them meanwhile, and if this
 * one dies, they are free again when the lease ends. A deliverer walks them once per pass, so one
 * that keeps failing does not stall the rest.
 */
export async function claimPendingNotifications(
  db: Queryable,
  selection: NotificationSelection,
  afterId: number,
  limit: number,
  leaseSeconds: number,
): Promise<PendingNotification[]> {
  const [revocationId, ids, channel] = selectionParameters(selection);
  const rows = await db.query<{
    id: number;
    kind: string;
    channel: NotificationChannel;
    user_id: number | null;
    recipient_login: string | null;
    recipient: string | null;
    revocation_id: number | null;
    webhook_id: number | null;
    webhook_url: string | null;
    webhook_secret: Uint8Array | null;
    delivery_id: string;
    payload: Record<string, unknown>;
    attempts: number;
  }>(
    // real time: a lease is between processes, not a rule a moved clock should expire early.
    `with claimed as (
       update notifications n set leased_until = clock_timestamp() + make_interval(secs => $5)
        where n.id in (
          select id from notifications
           where delivered_at is null and skipped_reason is null and id > $1
             -- real time: the lease, as above
             and (leased_until is null or leased_until < clock_timestamp())
             and ($2::bigint is null or revocation_id = $2)
             and ($3::bigint[] is null or id = any($3))
             and ($6::text is null or channel = $6)
           order by id
           limit $4
           for update skip locked)
       returning n.*)
     select c.id, c.kind, c.channel, c.user_id, c.recipient_login, c.recipient, c.revocation_id, c.webhook_id,
            w.url as webhook_url, w.secret_encrypted as webhook_secret, c.delivery_id::text, c.payload, c.attempts
       from claimed c left join webhooks w on w.id = c.webhook_id
      order by c.id`,
    [afterId, revocationId, ids, limit, leaseSeconds, channel],
  );
  return rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    channel: row.channel,
    userId: row.user_id,
    recipientLogin: row.recipient_login,
    recipient: row.recipient,
    revocationId: row.revocation_id,
    webhookId: row.webhook_id,
    webhookUrl: row.webhook_url,
    webhookSecret: row.webhook_secret,
    deliveryId: row.delivery_id,
    payload: row.payload,
    attempts: row.attempts,
  }));
}

/** How many notifications of the selection are still to be delivered, whoever holds them now. */
export async function countUndelivered(db: Queryable, selection: NotificationSelection): Promise<number> {
  const [row] = await db.query<{ count: number }>(
    `select count(*)::int as count from notifications
      where delivered_at is null and skipped_reason is null
        and ($1::bigint is null or revocation_id = $1)
        and ($2::bigint[] is null or id = any($2))
        and ($3::text is null or channel = $3)`,
    selectionParameters(selection),
  );
  return row?.count ?? 0;
}

export interface DeliveryAttempt {
  delivered: boolean;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
}

/** Logs one attempt and, if it delivered, marks the notification delivered — together. */
export async function recordDeliveryAttempt(
  tx: Queryable,
  notificationId: number,
  attempt: DeliveryAttempt,
): Promise<void> {
  await tx.query(
    `with attempt as (
       insert into notification_attempts (notification_id, duration_ms, delivered, status_code, error)
       values ($1, $2, $3, $4, $5))
     update notifications
        set attempts = attempts + 1,
            delivered_at = case when $3 then credauth_now() else delivered_at end,
            last_error = case when $3 then null else $5 end,
            leased_until = null
      where id = $1`,
    [notificationId, Math.round(attempt.durationMs), attempt.delivered, attempt.statusCode, attempt.error],
  );
}

/** Marks a notification as never to be sent, and why. */
export async function skipNotification(db: Queryable, notificationId: number, reason: string): Promise<void> {
  await db.query(
    "update notifications set skipped_reason = $2, leased_until = null where id = $1 and delivered_at is null",
    [notificationId, reason],
  );
}

export interface NotificationLogEntry {
  id: number;
  channel: NotificationChannel;
  recipientLogin: string | null;
  webhookId: number | null;
  /** The webhook's URL as written (emails: null; addresses are not shown). */
  url: string | null;
  deliveryId: string;
  /** retrying: attempts failed, and it will be tried again (by the job's retries, and at each worker start). */
  state: "pending" | "retrying" | "delivered" | "skipped";
  createdAt: Date;
  deliveredAt: Date | null;
  skippedReason: string | null;
  attempts: { at: Date; delivered: boolean; statusCode: number | null; error: string | null; durationMs: number }[];
}

/** A revocation's notifications and every attempt to deliver them: its delivery log. */
export async function listRevocationNotifications(
  db: Queryable,
  revocationId: number,
): Promise<NotificationLogEntry[]> {
  const rows = await db.query<{
    id: number;
    channel: NotificationChannel;
    recipient_login: string | null;
    webhook_id: number | null;
    recipient: string | null;
    delivery_id: string;
    created_at: Date;
    delivered_at: Date | null;
    skipped_reason: string | null;
    attempts: {
      at: string;
      delivered: boolean;
      status_code: number | null;
      error: string | null;
      duration_ms: number;
    }[];
  }>(
    `select n.id, n.channel, n.recipient_login, n.webhook_id, n.recipient, n.delivery_id::text, n.created_at,
            n.delivered_at, n.skipped_reason,
            coalesce((select jsonb_agg(jsonb_build_object('at', a.attempted_at, 'delivered', a.delivered,
                                                          'status_code', a.status_code, 'error', a.error,
                                                          'duration_ms', a.duration_ms) order by a.id)
                        from notification_attempts a where a.notification_id = n.id), '[]'::jsonb) as attempts
       from notifications n
      where n.revocation_id = $1
      order by n.id`,
    [revocationId],
  );
  return rows.map((row) => ({
    id: row.id,
    channel: row.channel,
    recipientLogin: row.recipient_login,
    webhookId: row.webhook_id,
    url: row.channel === "webhook" ? row.recipient : null,
    deliveryId: row.delivery_id,
    state:
      row.delivered_at !== null
        ? "delivered"
        : row.skipped_reason !== null
          ? "skipped"
          : row.attempts.length > 0
            ? "retrying"
            : "pending",
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
    skippedReason: row.skipped_reason,
    attempts: row.attempts.map((a) => ({
      at: new Date(a.at),
      delivered: a.delivered,
      statusCode: a.status_code,
      error: a.error,
      durationMs: a.duration_ms,
    })),
  }));
}
