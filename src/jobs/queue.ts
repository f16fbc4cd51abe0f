// The job system, started once per process over the same database as everything else: pg-boss
// (its tables in their own schema, `pgboss`, created and migrated by pg-boss itself), the
// revocation queues, and, where this process works, the revocation worker.
import { PgBoss } from "pg-boss";
import type { DatabaseConfig, JobsConfig } from "../config.ts";
import { deleteExpiredSessions } from "../store/console-sessions.ts";
import { BOSS_SCHEMA, type Db, type Queryable } from "../store/db.ts";
import { VERSION } from "../version.ts";
import { transportsFor } from "./notification-delivery.ts";
import {
  createNotificationQueue,
  NOTIFICATION_QUEUE,
  type NotificationContext,
  startNotificationWorker,
} from "./notifications.ts";
import {
  createRevocationQueue,
  REVOCATION_QUEUE,
  type RevocationObserver,
  SHARD_QUEUE,
  startRevocationWorker,
} from "./revocation-job.ts";
import type { QueueLogger } from "./revocation-log.ts";

const JOB_QUEUES = [REVOCATION_QUEUE, SHARD_QUEUE, NOTIFICATION_QUEUE];

export interface Jobs {
  boss: PgBoss;
  /** Ends running shards after their current batch, then stops pg-boss (waiting up to `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

/** How often a working process removes expired rows of its own (console sessions). */
const UPKEEP_EVERY_MS = 60 * 60 * 1000;

/** A working process's upkeep, at start and hourly: expired console sessions are removed. */
function startUpkeep(db: Db, logger: QueueLogger, stop: AbortSignal): void {
  const pass = () => {
    if (stop.aborted) return;
    deleteExpiredSessions(db).catch((error: unknown) =>
      logger.warn({ err: error }, "could not remove expired console sessions"),
    );
  };
  const timers = [setTimeout(pass, 0), setInterval(pass, UPKEEP_EVERY_MS)];
  for (const timer of timers) timer.unref();
  stop.addEventListener("abort", () => {
    for (const timer of timers) clearTimeout(timer);
  });
}

/** Embedded, how often pg-boss's maintenance (archiving, deleting old jobs) runs once started. */
const EMBEDDED_MAINTENANCE_SECONDS = 600;

/**
 * One process owns an embedded data folder, so a worker that died without finishing its job can
 * only be a previous process: its jobs are failed (and so retried) by a supervision pass at
 * start-up and another one heartbeat later, when a heartbeat still fresh at start-up has expired.
 * After that only maintenance is due, every ten minutes. pg-boss's own supervisor, every few
 * seconds, was most of an idle embedded server's CPU: each of its statements runs in this process.
 */
function superviseEmbedded(boss: PgBoss, jobs: JobsConfig, logger: QueueLogger, stop: AbortSignal): void {
  const pass = () => {
    if (stop.aborted) return;
    boss.supervise().catch((error: unknown) => logger.warn({ err: error }, "job queue supervision failed"));
  };
  const timers = [
    setTimeout(pass, 0),
    setTimeout(pass, (jobs.heartbeatSeconds + 1) * 1000),
    setInterval(pass, EMBEDDED_MAINTENANCE_SECONDS * 1000),
  ];
  for (const timer of timers) timer.unref();
  stop.addEventListener("abort", () => {
    for (const timer of timers) clearTimeout(timer);
  });
}

export async function startJobs(
  db: Db,
  database: DatabaseConfig,
  jobs: JobsConfig,
  logger: QueueLogger,
  options: {
    work: boolean;
    observer?: RevocationObserver;
    /** How this worker delivers notifications. (Default: no mail server, webhooks posted, no secrets key) */
    notifications?: Pick<NotificationContext, "transports" | "secrets" | "publicUrl">;
  },
): Promise<Jobs> {
  const embedded = database.kind === "pglite";
  // LISTEN/NOTIFY wakes a worker the moment a job is queued (its insert notifies at commit), on
  // PostgreSQL through a dedicated connection and in PGlite in-process, so an idle worker need not
  // poll often; polling stays as the backstop (decision 37).
  const timers = {
    // The monitor pass fails jobs whose heartbeat stopped (a killed worker); on PostgreSQL it runs
    // as often as the supervisor, so such a job is retried within seconds. Embedded, supervision runs
    // on our schedule (superviseEmbedded), and a monitor gate of one second lets each pass through.
    ...(embedded
      ? { supervise: false, monitorIntervalSeconds: 1 }
      : {
          superviseIntervalSeconds: jobs.superviseIntervalSeconds,
          monitorIntervalSeconds: jobs.superviseIntervalSeconds,
        }),
    schedule: false,
    useListenNotify: true,
    // pg-boss's instance registry samples the event loop every 20 ms to report vitals nobody
    // here reads: most of an idle server's CPU.
    registerInstance: false,
  };
  const boss =
    database.kind === "pglite"
      ? new PgBoss({ db: db.asBossDb(), backend: "pglite", schema: BOSS_SCHEMA, ...timers })
      : new PgBoss({
          connectionString: database.url,
          schema: BOSS_SCHEMA,
          max: 4,
          application_name: "credauth-jobs",
          ...timers,
        });
  // Background loops never throw; they report here (a database outage shows up as these).
  boss.on("error", (error) => logger.error({ err: error }, "job queue error"));
  boss.on("warning", (warning) => logger.warn({ warning }, "job queue warning"));
  await boss.start();
  const stopping = new AbortController();
  const transports = options.notifications?.transports ?? transportsFor(null, { allowPrivateWebhooks: false });
  if (embedded) superviseEmbedded(boss, jobs, logger, stopping.signal);
  try {
    await createRevocationQueue(boss, jobs);
    await createNotificationQueue(boss, jobs);
    if (options.work) {
      startUpkeep(db, logger, stopping.signal);
      await startRevocationWorker(boss, db, jobs, logger, stopping.signal, options.observer, transports.email !== null);
      await startNotificationWorker(
        boss,
        {
          db,
          transports,
          secrets: options.notifications?.secrets ?? null,
          publicUrl: options.notifications?.publicUrl ?? null,
          version: VERSION,
          logger,
          onAttempt: (channel, outcome) => options.observer?.notificationAttempted(channel, outcome),
        },
        jobs,
        stopping.signal,
      );
    }
  } catch (error) {
    stopping.abort();
    await boss.stop({ graceful: false }).catch(() => {});
    transports.close();
    throw error;
  }
  return {
    boss,
    async stop(graceMs = 5000) {
      stopping.abort();
      await boss.stop({ graceful: true, timeout: graceMs });
      transports.close();
    },
  };
}

export interface QueueDepth {
  queue: string;
  /** Waiting and due: a free worker would take them now. */
  ready: number;
  /** Waiting for a retry's delay to pass. */
  deferred: number;
  active: number;
  /** How long the longest-waiting due job has waited (0 when none waits). */
  oldestReadySeconds: number;
}

/**
 * The revocation queues' jobs by state, read from pg-boss's job table (its states are ordered:
 * created < retry < active). pg-boss's own queue counts are a cache refreshed by its monitor.
 */
export async function readQueueDepths(db: Queryable): Promise<QueueDepth[]> {
  const rows = await db.query<{
    queue: string;
    ready: number;
    deferred: number;
    active: number;
    oldest_ready_seconds: number;
  }>(
    // real time: pg-boss stamps and schedules its jobs with the database's own now().
    `select name as queue,
            count(*) filter (where state < 'active' and start_after <= now())::int as ready,
            count(*) filter (where state < 'active' and start_after > now())::int as deferred,
            count(*) filter (where state = 'active')::int as active,
            -- real time: as above, pg-boss's own stamps
            coalesce(extract(epoch from now() - min(greatest(created_on, start_after))
                       filter (where state < 'active' and start_after <= now())), 0)::float8 as oldest_ready_seconds
       from ${BOSS_SCHEMA}.job
      where name = any($1::text[]) and state <= 'active'
      group by name`,
    [JOB_QUEUES],
  );
  return JOB_QUEUES.map((queue) => {
    const row = rows.find((r) => r.queue === queue);
    return {
      queue,
      ready: row?.ready ?? 0,
      deferred: row?.deferred ?? 0,
      active: row?.active ?? 0,
      oldestReadySeconds: row?.oldest_ready_seconds ?? 0,
    };
  });
}
