// What a revocation says in the log, in one place: requested (by the API process), started,
// progress every few seconds, and succeeded or failed (by whichever worker gets there). Each line
// carries `revocationId`, so one job's lines can be picked out of several workers' logs.
import type { RevocationForm, RevocationScope } from "../domain/revocation.ts";
import type { Queryable } from "../store/db.ts";
import { findRevocation, type RevocationRecord } from "../store/revocation-requests.ts";
import { countShards } from "../store/revocation-shards.ts";

export interface LifecycleLogger {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
}

/** What the job system writes to: the lifecycle's lines, and warnings. */
export interface QueueLogger extends LifecycleLogger {
  warn(details: object, message: string): void;
}

/** Who asked, for what: names as the request gave them, so the line reads without a lookup. */
export interface RequestedRevocation {
  revocationId: number;
  form: RevocationForm;
  scope: RevocationScope;
  /** The enterprise's slug or the organization's login, as in the URL. */
  scopeName: string;
  targetLogin: string | null;
  requester: string;
}

export function logRequested(log: Pick<LifecycleLogger, "info">, requested: RequestedRevocation): void {
  const { scope } = requested;
  log.info(
    {
      revocationId: requested.revocationId,
      [scope.organizationId === null ? "enterprise" : "organization"]: requested.scopeName,
      form: requested.form,
      ...(requested.targetLogin === null ? {} : { user: requested.targetLogin }),
      ...(scope.credentialType === null ? {} : { credentialType: scope.credentialType }),
      revokeCredentials: scope.revokeCredentials,
      requester: requested.requester,
    },
    "revocation requested",
  );
}

/** The rows a revocation has changed so far, by effect. */
function totals(record: RevocationRecord): { authorizationsRevoked: number; credentialsDestroyed: number } {
  const sum = (effect: string) => record.counts.filter((c) => c.effect === effect).reduce((n, c) => n + c.count, 0);
  return { authorizationsRevoked: sum("authorization_revoked"), credentialsDestroyed: sum("credential_destroyed") };
}

function where(record: RevocationRecord): object {
  return {
    revocationId: record.id,
    ...(record.organizationLogin === null
      ? { enterprise: record.enterpriseSlug }
      : { organization: record.organizationLogin }),
    ...(record.targetLogin === null ? {} : { user: record.targetLogin }),
  };
}

/** What the planner knows without asking the database (the requested line has the names). */
export function logStarted(
  log: LifecycleLogger,
  started: { revocationId: number; shards: number; attempt: number },
): void {
  log.info(started, "revocation started");
}

export interface SettledRevocation {
  outcome: "succeeded" | "failed";
  /** From the request to its end. */
  durationMs: number;
}

/** Succeeded or failed, with its counts and how long it took from the request; null if it has not settled. */
export async function logSettled(
  db: Queryable,
  log: LifecycleLogger,
  revocationId: number,
): Promise<SettledRevocation | null> {
  const record = await findRevocation(db, revocationId);
  if (!record || (record.state !== "succeeded" && record.state !== "failed")) return null;
  const durationMs = (record.finishedAt ?? record.requestedAt).getTime() - record.requestedAt.getTime();
  const details = { ...where(record), ...totals(record), durationMs, attempts: record.attempts };
  if (record.state === "succeeded") log.info(details, "revocation succeeded");
  else log.error({ ...details, error: record.error }, "revocation failed");
  return { outcome: record.state, durationMs };
}

/**
 * Progress lines for the revocations this process is working on, at most one per revocation every
 * `everySeconds`, however many of its shards run here. The counts are the whole revocation's, read
 * from the database, so they include what other workers did.
 */
export class ProgressLog {
  readonly #lastAt = new Map<number, number>();
  readonly db: Queryable;
  readonly log: LifecycleLogger;
  readonly everySeconds: number;
  readonly now: () => number;

  // real time: the interval between progress lines is a duration.
  constructor(db: Queryable, log: LifecycleLogger, everySeconds: number, now: () => number = Date.now) {
    this.db = db;
    this.log = log;
    this.everySeconds = everySeconds;
    this.now = now;
  }

  /** Called after each batch: logs if the revocation's last line is older than the interval. */
  async batchDone(revocationId: number): Promise<void> {
    const last = this.#lastAt.get(revocationId);
    const now = this.now();
    if (last === undefined) {
      this.#lastAt.set(revocationId, now); // the interval counts from the first batch here
      return;
    }
    if (now - last < this.everySeconds * 1000) return;
    this.#lastAt.set(revocationId, now);
    // A revocation finished by another worker is never forgotten here; its clock goes stale instead.
    for (const [id, at] of this.#lastAt) if (now - at > 10 * this.everySeconds * 1000) this.#lastAt.delete(id);
    const [record, shards] = await Promise.all([
      findRevocation(this.db, revocationId),
      countShards(this.db, revocationId),
    ]);
    if (!record) return;
    this.log.info(
      { ...where(record), ...totals(record), shardsDone: shards.done, shards: shards.planned },
      "revocation progress",
    );
  }

  /** The revocation settled: forget its clock. */
  forget(revocationId: number): void {
    this.#lastAt.delete(revocationId);
  }
}
