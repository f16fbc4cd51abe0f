// The revocation job: scheduled in the same transaction as the request (so a 202 always has a
// job behind it), performed in bounded batches, idempotent, and safe to resume after a crash.
import type { JobResult, JobWithMetadata, PgBoss } from "pg-boss";
import { JOB_DEFAULTS, type JobsConfig } from "../config.ts";
import type { Principal } from "../domain/model.ts";
import { callerWarning, type RevocationForm, type RevocationScope } from "../domain/revocation.ts";
import type { Db, Queryable } from "../store/db.ts";
import type { NotificationChannel } from "../store/notifications.ts";
import { destroyCredentialBatch, revokeAuthorizationBatch } from "../store/revocation-batches.ts";
import {
  type CallerTokenInScope,
  callerTokenInScope,
  countRevocationScope,
  failRevocation,
  finishRevocation,
  insertRevocations,
  type RevocationEffect,
  type RevocationPreview,
  refreshRevocationStatisticsIfDue,
  type StartedAttempt,
  startRevocationAttempt,
} from "../store/revocation-requests.ts";
import { completeShard, findShard, listUnfinishedShards, planShards, type Shard } from "../store/revocation-shards.ts";
import { type NotificationOutcome, scheduleRevocationNotifications } from "./notifications.ts";
import {
  type LifecycleLogger,
  logRequested,
  logSettled,
  logStarted,
  ProgressLog,
  type QueueLogger,
  type SettledRevocation,
} from "./revocation-log.ts";

export const REVOCATION_QUEUE = "credauth-revocation";
export const SHARD_QUEUE = "credauth-revocation-shard";
/** Revocation jobs one fetch takes at most. */
const REVOCATIONS_PER_FETCH = 16;

export interface RevocationJobData {
  revocationId: number;
}

export interface ShardJobData {
  revocationId: number;
  shard: number;
}

export async function createRevocationQueue(boss: PgBoss, jobs: JobsConfig): Promise<void> {
  const options = {
    retryLimit: jobs.retryLimit,
    retryDelay: 1,
    retryBackoff: true,
    retryDelayMax: 60,
    // A dead worker is noticed by its missing heartbeat, not by expiry: a large shard may take a while.
    heartbeatSeconds: jobs.heartbeatSeconds,
    expireInSeconds: 24 * 60 * 60,
  };
  const { heartbeatSeconds: _, ...updatable } = options;
  for (const queue of [REVOCATION_QUEUE, SHARD_QUEUE]) {
    await boss.createQueue(queue, { ...options, notify: true });
    // createQueue leaves a queue that exists as it was: the settings of this start apply all the same.
    await boss.updateQueue(queue, { ...updatable, notify: true });
  }
}

/** Enqueues the jobs of these revocations inside the caller's transaction, in one statement. */
export async function scheduleRevocations(
  boss: PgBoss,
  tx: Queryable,
  revocationIds: readonly number[],
): Promise<void> {
  const jobs = revocationIds.map((revocationId) => {
    const data: RevocationJobData = { revocationId };
    return { data, singletonKey: `revocation-${revocationId}` };
  });
  await boss.insert(REVOCATION_QUEUE, jobs, { db: tx.asBossDb() });
}

/**
 * Materializes one shard: batch by batch through its id range, each batch committing its rows,
 * audit events and counts together, so running it again after a crash continues where the last
 * commit left off. The last shard to finish marks the revocation succeeded.
 */
export async function performShard(
  db: Db,
  revocationId: number,
  shardNumber: number,
  batchSize: number,
  options: {
    stop?: AbortSignal;
    onBatch?: (batch: { effect: RevocationEffect; rows: number }) => Promise<void>;
    /** In the transaction that settles the revocation (its last shard): queue what must follow. */
    onSettled?: OnSettled;
  } = {},
): Promise<{ finishedRevocation: boolean }> {
  const { stop, onBatch, onSettled } = options;
  const shard = await findShard(db, revocationId, shardNumber);
  if (!shard || shard.done) return { finishedRevocation: false };
  const batchOf = shard.phase === "authorizations" ? revokeAuthorizationBatch : destroyCredentialBatch;
  const effect: RevocationEffect = shard.phase === "authorizations" ? "authorization_revoked" : "credential_destroyed";
  for (let afterId = shard.afterId; afterId < shard.throughId; ) {
    // A stopping process ends the shard between batches: what committed stays, and the job is
    // retried where it left off, by this process after a restart or by another worker.
    if (stop?.aborted) throw new WorkerStoppedError();
    const range = {
      afterId,
      throughId: shard.throughId,
      targetUserId: shard.targetUserId,
      organizationId: shard.organizationId,
    };
    const batch = await db.transaction((tx) => batchOf(tx, revocationId, batchSize, range));
    afterId = batch.nextAfterId;
    await onBatch?.({ effect, rows: batch.rows });
    await yieldToWaitingQueries();
  }
  return {
    finishedRevocation: await db.transaction(async (tx) => {
      const finished = await completeShard(tx, revocationId, shardNumber);
      if (finished) await onSettled?.(tx, revocationId);
      return finished;
    }),
  };
}

/** A retried planner's own shards: the unfinished ones of a revocation aimed at one user, or none. */
async function unfinishedShardsOfOneUser(db: Db, revocationId: number): Promise<number[]> {
  const unfinished = await listUnfinishedShards(db, revocationId);
  const first = unfinished[0] === undefined ? null : await findShard(db, revocationId, unfinished[0]);
  return first?.targetUserId == null ? [] : unfinished;
}

/** Runs in the transaction that settles a revocation: the worker queues its notifications there. */
export type OnSettled = (tx: Queryable, revocationId: number) => Promise<void>;

/** Past every id: a one-user revocation finds its user's rows through the user's index, whatever their ids. */
const EVERY_ID = Number.MAX_SAFE_INTEGER;

/**
 * Revokes (and destroys) everything in scope of a revocation aimed at one user, batch after batch,
 * in the caller's transaction: its rows are few and found through the user's index.
 */
async function revokeOneUser(
  tx: Queryable,
  revocationId: number,
  started: StartedAttempt,
  batchSize: number,
): Promise<Partial<Record<RevocationEffect, number>>> {
  const phases: { effect: RevocationEffect; batchOf: typeof revokeAuthorizationBatch }[] = [
    { effect: "authorization_revoked", batchOf: revokeAuthorizationBatch },
  ];
  if (started.revokeCredentials) phases.push({ effect: "credential_destroyed", batchOf: destroyCredentialBatch });
  const rows: Partial<Record<RevocationEffect, number>> = {};
  const range = { throughId: EVERY_ID, targetUserId: started.targetUserId, organizationId: started.organizationId };
  for (const { effect, batchOf } of phases) {
    let changed = 0;
    for (let afterId = 0; afterId < EVERY_ID; ) {
      const batch = await batchOf(tx, revocationId, batchSize, { ...range, afterId });
      changed += batch.rows;
      afterId = batch.nextAfterId;
    }
    rows[effect] = changed;
  }
  return rows;
}

type StartOutcome =
  | { outcome: "already settled"; attempt: 0; shards: 0 }
  | { outcome: "started"; attempt: number; shards: number }
  /** `rows`: what a one-user revocation changed in the same transaction (absent when nothing was in scope). */
  | { outcome: "finished"; attempt: number; shards: number; rows?: Partial<Record<RevocationEffect, number>> };

/**
 * Starts a revocation's materialization. One aimed at one user is performed and settled in the
 * transaction that starts its attempt (a one-user revocation is most of what an incident sends,
 * and its round trips were most of its cost: docs/performance.md). Any other is planned in shards
 * (once) handed to `dispatch` in the same transaction, so a crash leaves either no plan or a plan
 * whose shards are all queued. A revocation with nothing in scope succeeds at once.
 */
async function startRevocation(
  db: Db,
  revocationId: number,
  sizes: { shardSize: number; batchSize: number },
  dispatch: (tx: Queryable, shards: Shard[]) => Promise<void>,
  onSettled?: OnSettled,
): Promise<StartOutcome> {
  const begun = await db
    .transaction(async (tx) => {
      const started = await startRevocationAttempt(tx, revocationId);
      if (started === null || started.targetUserId === null || started.planned) return { started, rows: null };
      const rows = await revokeOneUser(tx, revocationId, started, sizes.batchSize);
      await finishRevocation(tx, revocationId);
      await onSettled?.(tx, revocationId);
      return { started, rows };
    })
    .catch(async (error: unknown) => {
      // The attempt counts even though its transaction rolled back (a database that is down
      // refuses this too; the job's own retry count still tells).
      await startRevocationAttempt(db, revocationId).catch(() => {});
      throw error;
    });
  const { started, rows } = begun;
  if (started === null) return { outcome: "already settled", attempt: 0, shards: 0 };
  const { attempt } = started;
  if (rows !== null) return { outcome: "finished", attempt, shards: 0, rows };
  return db.transaction(async (tx) => {
    const planned = await planShards(tx, revocationId, sizes.shardSize);
    await dispatch(tx, planned);
    // Planned now, or (a later attempt) still unfinished from an earlier one.
    const shards = planned.length > 0 ? planned.length : (await listUnfinishedShards(tx, revocationId)).length;
    if (shards > 0) return { outcome: "started" as const, attempt, shards };
    await finishRevocation(tx, revocationId);
    await onSettled?.(tx, revocationId);
    return { outcome: "finished" as const, attempt, shards };
  });
}

/** Runs a whole revocation in this process, shard after shard (tests, and the embedded worker's logic). */
export async function performRevocation(
  db: Db,
  revocationId: number,
  batchSize: number,
  shardSize: number = JOB_DEFAULTS.shardSize,
): Promise<void> {
  await startRevocation(db, revocationId, { shardSize, batchSize }, async () => {});
  for (const shard of await listUnfinishedShards(db, revocationId))
    await performShard(db, revocationId, shard, batchSize);
}

/**
 * PGlite has one session: without a turn of the event loop between batches, the next batch takes
 * the session again before any waiting API request, and the API stalls for the whole job.
 */
function yieldToWaitingQueries(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The worker was asked to stop (shutdown) between two batches; not a failure of the revocation. */
export class WorkerStoppedError extends Error {
  constructor() {
    super("the worker stopped between two batches; the shard is resumed by the next attempt");
    this.name = "WorkerStoppedError";
  }
}

export type WorkerLogger = LifecycleLogger;

/** What the worker tells as it goes (metrics): rows changed, revocations settled, notifications sent. */
export interface RevocationObserver {
  rowsChanged(effect: RevocationEffect, rows: number): void;
  settled(revocation: SettledRevocation): void;
  notificationAttempted(channel: NotificationChannel, outcome: NotificationOutcome): void;
}

const IGNORED: RevocationObserver = { rowsChanged() {}, settled() {}, notificationAttempted() {} };

/** Logs a revocation that settled in this process, and tells the observer. */
async function reportSettled(
  db: Db,
  logger: WorkerLogger,
  observer: RevocationObserver,
  revocationId: number,
): Promise<void> {
  const settled = await logSettled(db, logger, revocationId);
  if (settled) observer.settled(settled);
}

/** After the last retry, the revocation is marked failed; its fence stays (docs/decisions.md). */
async function failAfterLastAttempt(
  db: Db,
  job: JobWithMetadata<{ revocationId: number }>,
  error: unknown,
  logger: WorkerLogger,
  observer: RevocationObserver,
  onSettled: OnSettled,
): Promise<void> {
  if (job.retryCount < job.retryLimit) return;
  const { revocationId } = job.data;
  try {
    await db.transaction(async (tx) => {
      await failRevocation(tx, revocationId, error instanceof Error ? error.message : String(error));
      await onSettled(tx, revocationId);
    });
    await reportSettled(db, logger, observer, revocationId);
  } catch (failure) {
    // Its fence stays either way; only the job resource keeps saying "running" until someone looks.
    logger.error({ revocationId, err: failure }, "could not mark the revocation failed after its last attempt");
  }
}

/**
 * Processes both queues in this process. `stop` aborted (at shutdown) ends a running shard after
 * its current batch, before pg-boss itself is stopped.
 */
export async function startRevocationWorker(
  boss: PgBoss,
  db: Db,
  jobs: JobsConfig,
  logger: WorkerLogger,
  stop?: AbortSignal,
  observer: RevocationObserver = IGNORED,
  mailServer = false,
): Promise<void> {
  // The settling transaction queues the delivery of the notifications it recorded.
  const onSettled: OnSettled = (tx, revocationId) =>
    scheduleRevocationNotifications(boss, tx, revocationId, {
      webhookRetrySeconds: jobs.webhookRetrySeconds,
      mailServer,
      onSkipped: (channel) => observer.notificationAttempted(channel, "skipped"),
    });
  const options = {
    batchSize: 1,
    includeMetadata: true,
    // Without a listener (it failed, or the connection dropped), the worker polls this often.
    pollingIntervalSeconds: jobs.pollingIntervalSeconds,
    // With one, a queued job wakes the worker at once; polling only catches what no insert
    // announces, such as a retry coming due, so it can be slow while idle.
    notifyPollingIntervalSeconds: Math.max(jobs.pollingIntervalSeconds, jobs.backstopSeconds),
  } as const;
  // A NOTIFY wakes a waiting worker once, however many jobs its commit queued (a revocation's shards),
  // so after each job a worker looks again at once instead of after the backstop interval.
  const workerIds: Record<string, string> = {};
  const lookAgain = (queue: string) => boss.notifyWorker(workerIds[queue]!);
  const progress = new ProgressLog(db, logger, jobs.progressSeconds);
  /** Performs one shard in this process; settles the revocation when it was the last. */
  const performHere = async (job: JobWithMetadata<unknown>, revocationId: number, shard: number) => {
    const { finishedRevocation } = await performShard(db, revocationId, shard, jobs.batchSize, {
      stop: stop ? AbortSignal.any([stop, job.signal]) : job.signal,
      onBatch: async ({ effect, rows }) => {
        observer.rowsChanged(effect, rows);
        await progress.batchDone(revocationId);
      },
      onSettled,
    });
    if (finishedRevocation) {
      progress.forget(revocationId);
      await reportSettled(db, logger, observer, revocationId);
    }
  };
  // The planner: performs a revocation aimed at one user itself, in one transaction; splits any
  // other into shards and queues them, in one transaction. A retry of a one-user revocation that an
  // earlier version planned in shards performs its unfinished shards here too.
  const performRevocationJob = async (job: JobWithMetadata<RevocationJobData>) => {
    const { revocationId } = job.data;
    try {
      const started = await startRevocation(
        db,
        revocationId,
        jobs,
        async (tx, planned) => {
          for (const shard of planned) {
            const data: ShardJobData = { revocationId: shard.revocationId, shard: shard.shard };
            await boss.send(SHARD_QUEUE, data, {
              db: tx.asBossDb(),
              singletonKey: `revocation-${shard.revocationId}-shard-${shard.shard}`,
            });
          }
        },
        onSettled,
      );
      const { outcome, attempt, shards } = started;
      if (outcome !== "already settled") logStarted(logger, { revocationId, shards, attempt });
      if (outcome === "finished") {
        for (const [effect, rows] of Object.entries(started.rows ?? {}))
          observer.rowsChanged(effect as RevocationEffect, rows);
        await reportSettled(db, logger, observer, revocationId);
      }
      if (outcome !== "started") return;
      for (const shard of await unfinishedShardsOfOneUser(db, revocationId))
        await performHere(job, revocationId, shard);
    } catch (error) {
      if (error instanceof WorkerStoppedError) {
        logger.info({ revocationId }, "revocation paused by shutdown; it resumes on the next attempt");
        throw error;
      }
      logger.error({ revocationId, err: error, attempt: job.retryCount }, "revocation planning failed");
      await failAfterLastAttempt(db, job, error, logger, observer, onSettled);
      throw error;
    }
  };
  // Revocation jobs are short (one user's rows, or a plan), so a worker takes several in one fetch
  // and completes them in one statement. A fetch that came back short took every job that was
  // ready: only a full one looks again at once (an empty fetch after each job was a third of a
  // one-user revocation's statements).
  workerIds[REVOCATION_QUEUE] = await boss.work<RevocationJobData>(
    REVOCATION_QUEUE,
    { ...options, batchSize: REVOCATIONS_PER_FETCH, perJobResults: true },
    async (fetched) => {
      if (fetched.length === REVOCATIONS_PER_FETCH) lookAgain(REVOCATION_QUEUE);
      const results: JobResult[] = [];
      for (const job of fetched as JobWithMetadata<RevocationJobData>[]) {
        try {
          await performRevocationJob(job);
          results.push({ id: job.id, status: "completed" });
        } catch (error) {
          // Failed on its own: retried as pg-boss retries any job; the rest of the fetch goes on.
          results.push({ id: job.id, status: "failed", output: { message: (error as Error).message } });
        }
      }
      return results;
    },
  );
  // The shards: any worker takes any shard, so several workers drain one revocation together.
  workerIds[SHARD_QUEUE] = await boss.work<ShardJobData>(SHARD_QUEUE, options, async ([fetched]) => {
    if (!fetched) return;
    lookAgain(SHARD_QUEUE);
    const job = fetched as JobWithMetadata<ShardJobData>;
    const { revocationId, shard } = job.data;
    try {
      await performHere(job, revocationId, shard);
    } catch (error) {
      if (error instanceof WorkerStoppedError) {
        logger.info({ revocationId, shard }, "revocation shard paused by shutdown; it resumes on the next attempt");
        throw error;
      }
      logger.error({ revocationId, shard, err: error, attempt: job.retryCount }, "revocation shard attempt failed");
      await failAfterLastAttempt(db, job, error, logger, observer, onSettled);
      throw error;
    }
  });
}

const levelOf = (scope: RevocationScope) => (scope.organizationId === null ? "enterprise" : "organization");

/**
 * What requestRevocation would do now, changing nothing (the dry run): the same scope read by the
 * same predicates as the job, the same check of the caller's token, the same warning.
 */
export async function previewRevocation(
  db: Queryable,
  principal: Principal,
  form: RevocationForm,
  scope: RevocationScope & { exemptUserId: number | null },
): Promise<{ preview: RevocationPreview; callerToken: CallerTokenInScope; warning: string | undefined }> {
  const [preview, callerToken] = await Promise.all([
    countRevocationScope(db, scope),
    callerTokenInScope(db, principal.credential.id, scope),
  ]);
  return { preview, callerToken, warning: callerWarning(form, callerToken, levelOf(scope)) };
}

/** A revocation as the API prepared it: who asks, in which form, for what. */
export interface RevocationRequest {
  principal: Principal;
  form: RevocationForm;
  scope: RevocationScope & { exemptUserId: number | null };
  /** The enterprise's slug or the organization's login, as in the URL (for the log). */
  scopeName: string;
  /** The user the request names, if any. */
  targetLogin: string | null;
}

/**
 * Accepts a revocation: through the process's intake (group commit, below), in one transaction
 * with the requests that arrived with it, insert the request (the containment fence from the
 * moment it commits; it says whether the caller's own token is in scope) and enqueue its job. The
 * 202 is sent only after this returns, so containment holds from the 202 on. After the commit,
 * when the new id doubles the table, its statistics are refreshed in the background (decision 23):
 * nothing waits for that, and a failure is only logged.
 */
export async function requestRevocation(
  services: { db: Db; boss: PgBoss },
  request: RevocationRequest,
  log: Pick<QueueLogger, "info" | "warn">,
): Promise<{ revocationId: number; warning: string | undefined }> {
  const accepted = await intakeOf(services)(request);
  const { principal, form, scope, scopeName, targetLogin } = request;
  logRequested(log, {
    revocationId: accepted.revocationId,
    form,
    scope,
    scopeName,
    targetLogin,
    requester: principal.user.login,
  });
  refreshRevocationStatisticsIfDue(services.db, accepted.revocationId).catch((error: unknown) =>
    log.warn({ err: error }, "could not refresh the statistics of the revocations table"),
  );
  return accepted;
}

type Accepted = { revocationId: number; warning: string | undefined };
type Intake = (request: RevocationRequest) => Promise<Accepted>;

/** The most requests one transaction accepts together. */
const GROUP_LIMIT = 256;
const intakes = new WeakMap<Db, Intake>();

/** The database's one intake: every request of a process that reaches it joins its groups. */
function intakeOf(services: { db: Db; boss: PgBoss }): Intake {
  let intake = intakes.get(services.db);
  if (!intake) {
    intake = revocationIntake(services);
    intakes.set(services.db, intake);
  }
  return intake;
}

/**
 * Group commit: requests that arrive while a transaction of requests commits wait for it, then
 * are accepted together in the next one — one insert of their revocations, one of their jobs, one
 * commit, one announcement to the read caches. A request that arrives while none commits waits
 * one turn of the event loop for those that arrived with it, and no longer. If a group fails, each
 * of its requests is tried alone, so one request's failure is its own.
 */
function revocationIntake({ db, boss }: { db: Db; boss: PgBoss }): Intake {
  const waiting: { request: RevocationRequest; resolve(accepted: Accepted): void; reject(error: unknown): void }[] = [];
  let committing = false;
  const accept = (requests: readonly RevocationRequest[]) =>
    db.transaction(async (tx) => {
      // The insert's arrays make PostgreSQL plan it anew for every group (a custom plan costed by
      // the group's size always looks cheaper), about 1.2 ms of the database's CPU each time; its
      // generic plan is as good whatever the size (docs/performance.md).
      await tx.query("set local plan_cache_mode = force_generic_plan");
      const inserted = await insertRevocations(
        tx,
        requests.map(({ scope, principal }) => ({
          scope,
          requester: { userId: principal.user.id, credentialId: principal.credential.id },
        })),
      );
      await scheduleRevocations(
        boss,
        tx,
        inserted.map(({ id }) => id),
      );
      return inserted.map(({ id, callerToken }, i) => ({
        revocationId: id,
        warning: callerWarning(requests[i]!.form, callerToken, levelOf(requests[i]!.scope)),
      }));
    });
  const commitWaiting = async () => {
    try {
      while (waiting.length > 0) {
        const group = waiting.splice(0, GROUP_LIMIT);
        try {
          const accepted = await accept(group.map(({ request }) => request));
          for (const [i, { resolve }] of group.entries()) resolve(accepted[i]!);
        } catch (error) {
          if (group.length === 1) group[0]!.reject(error);
          else
            for (const { request, resolve, reject } of group)
              await accept([request]).then(([accepted]) => resolve(accepted!), reject);
        }
      }
    } finally {
      committing = false;
    }
  };
  return (request) =>
    new Promise<Accepted>((resolve, reject) => {
      waiting.push({ request, resolve, reject });
      if (committing) return;
      committing = true;
      // One turn of the event loop first: the requests read with this one reach the intake too.
      // Embedded, a request's statements run without yielding to I/O, so without this turn the
      // next request's body is not even read before this one has committed.
      setImmediate(() => void commitWaiting());
    });
}
