// The revocation job: scheduled in the same transaction as the request (so a 202 always has a
// job behind it), performed in bounded batches, idempotent, and safe to resume after a crash.
import type { JobWithMetadata, PgBoss } from "pg-boss";
import type { JobsConfig } from "../config.ts";
import type { Db, Queryable } from "../store/db.ts";
import type { Principal } from "../domain/model.ts";
import { callerWarning, type RevocationForm, type RevocationScope } from "../domain/revocation.ts";
import {
  callerTokenInScope,
  insertRevocation,
  destroyCredentialBatch,
  failRevocation,
  finishRevocation,
  revokeAuthorizationBatch,
  startRevocationAttempt,
} from "../store/revocations.ts";

export const REVOCATION_QUEUE = "credauth-revocation";

export interface RevocationJobData {
  revocationId: number;
}

export async function createRevocationQueue(boss: PgBoss, jobs: JobsConfig): Promise<void> {
  await boss.createQueue(REVOCATION_QUEUE, {
    retryLimit: jobs.retryLimit,
    retryDelay: 1,
    retryBackoff: true,
    retryDelayMax: 60,
    // A dead worker is noticed by its missing heartbeat, not by expiry: a million rows may take a while.
    heartbeatSeconds: jobs.heartbeatSeconds,
    expireInSeconds: 24 * 60 * 60,
  });
}

/** Enqueues the job inside the caller's transaction. */
export async function scheduleRevocation(boss: PgBoss, tx: Queryable, revocationId: number): Promise<void> {
  const data: RevocationJobData = { revocationId };
  await boss.send(REVOCATION_QUEUE, data, { db: tx.asBossDb(), singletonKey: `revocation-${revocationId}` });
}

export interface RevocationProgress {
  (event: { revocationId: number; phase: "authorizations" | "credentials"; rows: number }): void;
}

/**
 * Materializes one revocation: revoke every authorization in scope, then destroy every credential
 * in scope, batch by batch, then mark it succeeded. Each batch commits on its own with its audit
 * events and counts, so running this again after a crash continues where the last commit left off.
 */
export async function performRevocation(db: Db, revocationId: number, batchSize: number, onBatch?: RevocationProgress): Promise<void> {
  if (!(await startRevocationAttempt(db, revocationId))) return; // already settled
  for (let afterId = 0; ; ) {
    const batch = await db.transaction((tx) => revokeAuthorizationBatch(tx, revocationId, batchSize, afterId));
    if (batch.rows === 0) break;
    afterId = batch.lastId;
    onBatch?.({ revocationId, phase: "authorizations", rows: batch.rows });
    await yieldToWaitingQueries();
  }
  for (let afterId = 0; ; ) {
    const batch = await db.transaction((tx) => destroyCredentialBatch(tx, revocationId, batchSize, afterId));
    if (batch.rows === 0) break;
    afterId = batch.lastId;
    onBatch?.({ revocationId, phase: "credentials", rows: batch.rows });
    await yieldToWaitingQueries();
  }
  await finishRevocation(db, revocationId);
}

/**
 * PGlite has one session: without a turn of the event loop between batches, the next batch takes
 * the session again before any waiting API request, and the API stalls for the whole job.
 */
function yieldToWaitingQueries(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export interface WorkerLogger {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
}

export async function startRevocationWorker(boss: PgBoss, db: Db, jobs: JobsConfig, logger: WorkerLogger): Promise<void> {
  await boss.work<RevocationJobData>(
    REVOCATION_QUEUE,
    { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: jobs.pollingIntervalSeconds },
    async ([fetched]) => {
      if (!fetched) return;
      const job = fetched as JobWithMetadata<RevocationJobData>;
      const { revocationId } = job.data;
      try {
        await performRevocation(db, revocationId, jobs.batchSize);
        logger.info({ revocationId }, "revocation succeeded");
      } catch (error) {
        logger.error({ revocationId, err: error, attempt: job.retryCount }, "revocation attempt failed");
        if (job.retryCount >= job.retryLimit) {
          await failRevocation(db, revocationId, error instanceof Error ? error.message : String(error)).catch(() => {});
        }
        throw error;
      }
    },
  );
}

/**
 * Accepts a revocation: in one transaction, decide whether the caller's own token is in scope,
 * insert the request (which is the containment fence from the moment it commits) and enqueue its
 * job. The 202 is sent only after this returns, so containment holds from the 202 on.
 */
export async function requestRevocation(
  services: { db: Db; boss: PgBoss },
  principal: Principal,
  form: RevocationForm,
  scope: RevocationScope & { exemptUserId: number | null },
): Promise<{ revocationId: number; warning: string | undefined }> {
  return services.db.transaction(async (tx) => {
    const callerToken = await callerTokenInScope(tx, principal.credential.id, scope);
    const { id } = await insertRevocation(tx, scope, { userId: principal.user.id, credentialId: principal.credential.id });
    await scheduleRevocation(services.boss, tx, id);
    return { revocationId: id, warning: callerWarning(form, callerToken, scope.organizationId === null ? "enterprise" : "organization") };
  });
}
