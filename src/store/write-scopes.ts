// What a write touched, as scopes (migration 19): each announced table is a scope, and the
// revocations that destroy credentials are one more. A read cache that does not depend on some
// scopes names them, and its epoch ignores their writes; a write whose scopes are unknown counts
// as touching every scope. So leaving a scope out of a cache's list is always safe: only listing
// one the cache's reads depend on would not be, and the lists below are checked by a test.

/**
 * What a revocation's own work writes: the revocation and its progress, the authorizations it
 * revokes, its audit events and emails. Writes that fence or destroy credentials are not among
 * them (`revocations_destroying`, `credentials`).
 */
export const REVOCATION_WORK_SCOPES = [
  "revocations",
  "credential_authorizations",
  "audit_events",
  "revocation_counts",
  "revocation_shards",
  "notifications",
  "notification_attempts",
] as const;

/** The setting a writing transaction collects its scopes in (",a,b,"), read just before commit. */
export const WRITTEN_SCOPES = "select current_setting('credauth.written_scopes', true) as scopes";

/**
 * A transaction that a failed statement aborted refuses every statement until it ends, the
 * question of its scopes too; it commits nothing (its commit rolls back), as it did before.
 */
export function isAbortedTransaction(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "25P02";
}

/** The scopes named in credauth.written_scopes; null (touched anything) when it names none. */
export function parseWrittenScopes(setting: unknown): string[] | null {
  const scopes = typeof setting === "string" ? setting.split(",").filter(Boolean) : [];
  return scopes.length > 0 ? scopes : null;
}

/** Counts writes per scope, so that an epoch can leave some scopes out. */
export class WriteVersions {
  #all = 0;
  readonly #byScope = new Map<string, number>();

  /** A write to these scopes; null: to every scope (unknown, or the cache cannot vouch). */
  wrote(scopes: readonly string[] | null): void {
    if (scopes === null || scopes.length === 0) {
      this.#all++;
      return;
    }
    for (const scope of scopes) {
      this.#all++;
      this.#byScope.set(scope, (this.#byScope.get(scope) ?? 0) + 1);
    }
  }

  /** Moves with every write except those to `unaffectedBy` alone. */
  epoch(unaffectedBy: readonly string[] = []): number {
    let epoch = this.#all;
    for (const scope of unaffectedBy) epoch -= this.#byScope.get(scope) ?? 0;
    return epoch;
  }
}
