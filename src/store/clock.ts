// The clock's offset lives in the database (credauth_clock, read by credauth_now()) and in each
// process's Clock: read at start, written here, so SQL and code tell the same time.
import type { Clock } from "../domain/clock.ts";
import { BOSS_SCHEMA, type Queryable } from "./db.ts";

export async function readClockOffset(db: Queryable): Promise<number> {
  const [row] = await db.query<{ offset_ms: number }>("select offset_ms from credauth_clock");
  return row?.offset_ms ?? 0;
}

/** Sets the clock's offset in the database only; the process adopts it when the write commits. */
export async function writeClockOffset(db: Queryable, offsetMs: number): Promise<void> {
  await db.query("update credauth_clock set offset_ms = $1", [Math.round(offsetMs)]);
}

/** Moves the clock `offsetMs` from real time, in the database and in this process's `clock`. */
export async function setClockOffset(db: Queryable, clock: Clock, offsetMs: number): Promise<void> {
  await writeClockOffset(db, offsetMs);
  clock.adopt(Math.round(offsetMs));
}

/**
 * The clock moved forward `ms`: what pg-boss has scheduled for later (a webhook's retry, a job's
 * backoff) comes that much sooner, never before now, as waiting would have brought it.
 */
export async function bringScheduledJobsForward(db: Queryable, ms: number): Promise<void> {
  if (ms <= 0) return;
  // real time: pg-boss schedules by PostgreSQL's now().
  await db.query(
    `update ${BOSS_SCHEMA}.job set start_after = greatest(now(), start_after - make_interval(secs => $1 / 1000.0))
      where state < 'active' and start_after > now()`,
    [ms],
  );
}
