// The job system, started once per process over the same database as everything else: pg-boss
// (its tables in their own schema, `pgboss`, created and migrated by pg-boss itself), the
// revocation queues, and, where this process works, the revocation worker.
import { PgBoss } from "pg-boss";
import type { DatabaseConfig, JobsConfig } from "../config.ts";
import type { Db } from "../store/db.ts";
import { createRevocationQueue, startRevocationWorker, type WorkerLogger } from "./revocation-job.ts";

export const BOSS_SCHEMA = "pgboss";

export interface QueueLogger extends WorkerLogger {
  warn(details: object, message: string): void;
}

export interface Jobs {
  boss: PgBoss;
  /** Ends running shards after their current batch, then stops pg-boss (waiting up to `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

export async function startJobs(
  db: Db,
  database: DatabaseConfig,
  jobs: JobsConfig,
  logger: QueueLogger,
  options: { work: boolean },
): Promise<Jobs> {
  // The monitor pass is the one that fails jobs whose heartbeat stopped (a killed worker); it runs
  // as often as the supervisor so such a job is retried within seconds, not pg-boss's default minute.
  // LISTEN/NOTIFY wakes a worker the moment a job is queued (its insert notifies at commit), on
  // PostgreSQL through a dedicated connection and in PGlite in-process, so an idle worker need not
  // poll often; polling stays as the backstop (decision 37).
  const timers = {
    superviseIntervalSeconds: jobs.superviseIntervalSeconds,
    monitorIntervalSeconds: jobs.superviseIntervalSeconds,
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
  try {
    await createRevocationQueue(boss, jobs);
    if (options.work) await startRevocationWorker(boss, db, jobs, logger, stopping.signal);
  } catch (error) {
    await boss.stop({ graceful: false }).catch(() => {});
    throw error;
  }
  return {
    boss,
    async stop(graceMs = 5000) {
      stopping.abort();
      await boss.stop({ graceful: true, timeout: graceMs });
    },
  };
}
