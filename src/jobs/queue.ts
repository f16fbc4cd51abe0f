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
  const boss =
    db.kind === "pglite"
      ? new PgBoss({ db: db.asBossDb(), backend: "pglite", schema: BOSS_SCHEMA, superviseIntervalSeconds: jobs.superviseIntervalSeconds, schedule: false })
      : new PgBoss({
          connectionString: databaseUrl ?? undefined,
          schema: BOSS_SCHEMA,
          max: 4,
          application_name: "credauth-jobs",
          superviseIntervalSeconds: jobs.superviseIntervalSeconds,
          schedule: false,
        });
  // Background loops never throw; they report here.
  boss.on("error", (error) => logger.error({ err: error }, "job queue error"));
  boss.on("warning", (warning) => logger.warn({ warning }, "job queue warning"));
  await boss.start();
  return boss;
}
