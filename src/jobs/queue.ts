// pg-boss, set up once per process over the same database as everything else. The queue's
// tables live in their own schema (`pgboss`), created and migrated by pg-boss itself.
import { PgBoss } from "pg-boss";
import type { JobsConfig } from "../config.ts";
import type { Db } from "../store/db.ts";

export const BOSS_SCHEMA = "pgboss";

export interface QueueLogger {
  error(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export async function startQueue(db: Db, databaseUrl: string | null, jobs: JobsConfig, logger: QueueLogger): Promise<PgBoss> {
  // The monitor pass is the one that fails jobs whose heartbeat stopped (a killed worker); it runs
  // as often as the supervisor so such a job is retried within seconds, not pg-boss's default minute.
  const timers = { superviseIntervalSeconds: jobs.superviseIntervalSeconds, monitorIntervalSeconds: jobs.superviseIntervalSeconds, schedule: false };
  const boss =
    db.kind === "pglite"
      ? new PgBoss({ db: db.asBossDb(), backend: "pglite", schema: BOSS_SCHEMA, ...timers })
      : new PgBoss({ connectionString: databaseUrl ?? undefined, schema: BOSS_SCHEMA, max: 4, application_name: "credauth-jobs", ...timers });
  // Background loops never throw; they report here.
  boss.on("error", (error) => logger.error({ err: error }, "job queue error"));
  boss.on("warning", (warning) => logger.warn({ warning }, "job queue warning"));
  await boss.start();
  return boss;
}
