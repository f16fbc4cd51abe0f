// Delivering the notification outbox: a pg-boss job per batch of notifications, queued in the
// transaction that wrote them, so a crash can lose neither (decision 52). The job sends each
// notification once per pass, logs every attempt, and fails — to be retried with backoff — while
// any remains undelivered. A sweep at each worker start, and hourly, picks up whatever is pending.

import type { JobWithMetadata, PgBoss } from "pg-boss";
import type { JobsConfig } from "../config.ts";
import { redactUrlsIn } from "../domain/webhook-urls.ts";
import type { SecretBox } from "../secrets.ts";
import type { Db, Queryable } from "../store/db.ts";
import {
  claimPendingNotifications,
  countUndelivered,
  NO_EMAIL_ADDRESS,
  NO_MAIL_SERVER,
  type NotificationChannel,
  type NotificationSelection,
  notificationDestinations,
  type PendingNotification,
  recordDeliveryAttempt,
  skipNotification,
  skipRevocationEmails,
} from "../store/notifications.ts";
import { findRevocation, type RevocationRecord } from "../store/revocation-requests.ts";
import { composeEmail, composeWebhook, DeliveryRefused, type Transports } from "./notification-delivery.ts";

export const NOTIFICATION_QUEUE = "credauth-notification";
/** Longer than one delivery can take (the SMTP and webhook timeouts), so a lease outlives its attempt. */
export const DELIVERY_LEASE_SECONDS = 30;
const CLAIM_BATCH = 50;
/** Emails sent at once by one job: a mail relay is not waited for one message at a time. */
const CONCURRENT_SENDS = 8;
const SWEEP_EVERY_MS = 60 * 60 * 1000;

/**
 * Each destination is a pg-boss group: the mail relay ("mail"), each webhook ("webhook:<id>"), the
 * sweep. A group runs at most its limit of jobs at once across every worker, and a worker runs
 * DELIVERY_WORKERS jobs at once, so a destination that hangs or refuses holds one slot and its own
 * retries — never the other destinations' jobs.
 */
const DELIVERY_WORKERS = 8;
const GROUP_CONCURRENCY = { default: 1, tiers: { mail: 6 } };
const MAIL_GROUP = { id: "mail", tier: "mail" };
const webhookGroup = (webhookId: number) => ({ id: `webhook:${webhookId}` });

export type NotificationOutcome = "delivered" | "failed" | "skipped";

export interface NotificationContext {
  db: Db;
  transports: Transports;
  /** Decrypts webhook secrets; null: none configured (a signed webhook then cannot be sent). */
  secrets: SecretBox | null;
  /** Base of the job URL in webhook payloads; null leaves it out. */
  publicUrl: string | null;
  version: string;
  logger: { warn(details: object, message: string): void; info(details: object, message: string): void };
  onAttempt?: (channel: NotificationChannel, outcome: NotificationOutcome) => void;
}

export async function createNotificationQueue(boss: PgBoss, jobs: JobsConfig): Promise<void> {
  const options = {
    // Backoff from a second to an hour: about a day of retries before the hourly sweep takes over.
    retryLimit: 30,
    retryDelay: 1,
    retryBackoff: true,
    retryDelayMax: 3600,
    heartbeatSeconds: jobs.heartbeatSeconds,
    expireInSeconds: 60 * 60,
    notify: true,
  };
  await boss.createQueue(NOTIFICATION_QUEUE, options);
  // createQueue leaves a queue that exists as it was: the settings of this start apply all the same.
  const { heartbeatSeconds: _, ...updatable } = options;
  await boss.updateQueue(NOTIFICATION_QUEUE, updatable);
}

/**
 * Queues the delivery of a settled revocation's notifications, inside the transaction that recorded
 * them: one job for its emails, and one per webhook, each in its destination's group.
 */
/**
 * A receiver that failed is tried again after `webhookRetrySeconds` (5 s by default), then backing
 * off (the mail relay's jobs after 1 s): one dead receiver of a burst has a job per revocation, and
 * their retries would otherwise crowd the database the live destinations' jobs need.
 */
export async function scheduleRevocationNotifications(
  boss: PgBoss,
  tx: Queryable,
  revocationId: number,
  options: {
    webhookRetrySeconds: number;
    mailServer: boolean;
    /** Told of each email skipped here (metrics; told again if the transaction is retried). */
    onSkipped?: (channel: "email") => void;
  },
) {
  const { emails, webhooks } = await notificationDestinations(tx, revocationId);
  const db = tx.asBossDb();
  // Without a mail server the emails are skipped here: a job for them would only skip them, after
  // waking every delivery worker of every process to look for it.
  if (emails && !options.mailServer) {
    const skipped = await skipRevocationEmails(tx, revocationId);
    for (let i = 0; i < skipped; i++) options.onSkipped?.("email");
  } else if (emails) {
    const selection: NotificationSelection = { revocationId, channel: "email" };
    await boss.send(NOTIFICATION_QUEUE, selection, { db, group: MAIL_GROUP });
  }
  for (const { webhookId, ids } of webhooks) {
    const selection: NotificationSelection = { ids };
    await boss.send(NOTIFICATION_QUEUE, selection, {
      db,
      group: webhookGroup(webhookId),
      retryDelay: options.webhookRetrySeconds,
    });
  }
}

/** Queues the delivery of emails recorded by id (POST /credentials/revoke), inside their transaction. */
export async function scheduleEmails(boss: PgBoss, tx: Queryable, ids: number[]) {
  const selection: NotificationSelection = { ids };
  await boss.send(NOTIFICATION_QUEUE, selection, { db: tx.asBossDb(), group: MAIL_GROUP });
}

/** Sends one notification and logs the attempt; its outcome. */
async function deliverOne(
  context: NotificationContext,
  notification: PendingNotification,
  revocationOf: (id: number) => Promise<RevocationRecord | null>,
): Promise<NotificationOutcome> {
  const { db, transports } = context;
  const skip = async (reason: string) => {
    await skipNotification(db, notification.id, reason);
    return "skipped" as const;
  };
  if (notification.channel === "email") {
    if (notification.recipient === null) return skip(NO_EMAIL_ADDRESS);
    if (transports.email === null) return skip(NO_MAIL_SERVER);
  }
  const revocation = notification.revocationId === null ? null : await revocationOf(notification.revocationId);
  const started = performance.now();
  try {
    let statusCode: number | null;
    if (notification.channel === "email") {
      ({ statusCode } = await transports.email!(composeEmail(notification, revocation, context.version)));
    } else {
      if (revocation === null) return skip("the revocation it told of is gone");
      let secret: string | null = null;
      if (notification.webhookSecret !== null) {
        if (context.secrets === null)
          throw new DeliveryRefused("the webhook has a secret, and no secrets key is configured to read it", null);
        try {
          secret = context.secrets.decrypt(notification.webhookSecret);
        } catch {
          throw new DeliveryRefused(
            "the webhook's secret cannot be decrypted with this secrets key (it was stored under another key, or secrets.key was lost): " +
              "declare the webhook again with its secret (fixture or admin API) to store it under the current key",
            null,
          );
        }
      }
      ({ statusCode } = await transports.webhook(
        composeWebhook(notification, revocation, secret, context.publicUrl, context.version),
      ));
    }
    await recordDeliveryAttempt(db, notification.id, {
      delivered: true,
      durationMs: performance.now() - started,
      statusCode,
      error: null,
    });
    return "delivered";
  } catch (error) {
    const message = describeFailure(error);
    await recordDeliveryAttempt(db, notification.id, {
      delivered: false,
      durationMs: performance.now() - started,
      statusCode: error instanceof DeliveryRefused ? error.statusCode : null,
      error: message,
    });
    context.logger.warn(
      {
        notificationId: notification.id,
        channel: notification.channel,
        attempt: notification.attempts + 1,
        error: message,
      },
      "notification not delivered; it will be retried",
    );
    return "failed";
  }
}

/**
 * What went wrong, in a line that holds no secret: a fetch error's cause code, or its message with
 * every URL in it cut to scheme, host and path (undici quotes the URL it refused).
 */
export function describeFailure(error: unknown): string {
  if (error instanceof DeliveryRefused) return redactUrlsIn(error.message);
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = (error as { code?: string }).code ?? cause?.code;
  // The send's timeout aborts it: fetch says TimeoutError, node:http AbortError with that cause.
  if ((error as Error).name === "TimeoutError" || (cause as { name?: string } | undefined)?.name === "TimeoutError")
    return "no answer in time";
  return code
    ? `${(error as Error).name}: ${code}`
    : redactUrlsIn(((error as Error).message ?? String(error)).slice(0, 200));
}

/** Delivers every pending notification of `selection`, each once; how many ended how. */
export async function deliverNotifications(
  context: NotificationContext,
  selection: NotificationSelection,
): Promise<Record<NotificationOutcome, number>> {
  const outcomes: Record<NotificationOutcome, number> = { delivered: 0, failed: 0, skipped: 0 };
  const revocations = new Map<number, Promise<RevocationRecord | null>>();
  const revocationOf = (id: number) => {
    if (!revocations.has(id)) revocations.set(id, findRevocation(context.db, id));
    return revocations.get(id)!;
  };
  for (let afterId = 0; ; ) {
    const batch = await claimPendingNotifications(context.db, selection, afterId, CLAIM_BATCH, DELIVERY_LEASE_SECONDS);
    if (batch.length === 0) break;
    afterId = batch.at(-1)!.id;
    for (let i = 0; i < batch.length; i += CONCURRENT_SENDS) {
      await Promise.all(
        batch.slice(i, i + CONCURRENT_SENDS).map(async (notification) => {
          const outcome = await deliverOne(context, notification, revocationOf);
          outcomes[outcome]++;
          context.onAttempt?.(notification.channel, outcome);
        }),
      );
    }
  }
  return outcomes;
}

export class NotificationsPending extends Error {
  constructor(undelivered: number) {
    super(`${undelivered} notification(s) not delivered yet; the job is retried`);
    this.name = "NotificationsPending";
  }
}

/** Processes the notification queue in this process, and sweeps for pending ones now and hourly. */
export async function startNotificationWorker(
  boss: PgBoss,
  context: NotificationContext,
  jobs: JobsConfig,
  stop: AbortSignal,
): Promise<void> {
  // Separate workers rather than localConcurrency, so that each can be woken by its id: one NOTIFY
  // wakes the workers once however many jobs its commit queued, so a worker that got a job looks
  // again as soon as it is done, and waits for the next NOTIFY (or the backstop) only once a fetch
  // finds nothing.
  for (let i = 0; i < DELIVERY_WORKERS; i++) {
    let workerId = "";
    workerId = await boss.work<NotificationSelection>(
      NOTIFICATION_QUEUE,
      {
        batchSize: 1,
        includeMetadata: true,
        groupConcurrency: GROUP_CONCURRENCY,
        pollingIntervalSeconds: jobs.pollingIntervalSeconds,
        // A retry coming due announces itself to no listener: the backstop poll finds it.
        notifyPollingIntervalSeconds: Math.max(jobs.pollingIntervalSeconds, jobs.backstopSeconds),
      },
      async ([fetched]) => {
        if (!fetched) return;
        boss.notifyWorker(workerId);
        const job = fetched as JobWithMetadata<NotificationSelection>;
        await deliverNotifications(context, job.data);
        // Failed here, or held by another deliverer's lease (one that may have died holding it): the
        // job is retried with backoff until every one of them has gone out.
        const undelivered = await countUndelivered(context.db, job.data);
        if (undelivered > 0) throw new NotificationsPending(undelivered);
      },
    );
  }
  const sweep = () => {
    if (stop.aborted) return;
    boss
      .send(NOTIFICATION_QUEUE, { pending: true }, { singletonKey: "notification-sweep", group: { id: "sweep" } })
      .catch((error: unknown) => context.logger.warn({ err: error }, "could not queue the notification sweep"));
  };
  sweep();
  const timer = setInterval(sweep, SWEEP_EVERY_MS);
  timer.unref();
  stop.addEventListener("abort", () => clearInterval(timer));
}
