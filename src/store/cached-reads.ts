// The reads every authenticated request makes, through exact caches (store/exact-cache.ts): who
// the token is, and for organization-scoped requests the organization, the caller's relation to
// it and the token's SSO authorization; for enterprise-scoped ones the enterprise and the caller's
// relation to it; and a revocation's target in an enterprise. All but the SSO authorization read
// none of what a revocation's own work writes, so they share a cache that such writes leave alone
// (store/write-scopes.ts).
import type {
  Enterprise,
  EnterpriseRelation,
  Organization,
  OrganizationRelation,
  Principal,
  User,
} from "../domain/model.ts";
import type { Db } from "./db.ts";
import { findEnterprisePerson, findEnterpriseWithRelation } from "./enterprises.ts";
import { exactCache } from "./exact-cache.ts";
import {
  findLiveAuthorization,
  findOrganizationByLogin,
  findOrganizationRelation,
  type LiveAuthorization,
  recordAuthorizationAccess,
} from "./organizations.ts";
import { principalLookup } from "./principals.ts";
import { REVOCATION_WORK_SCOPES } from "./write-scopes.ts";

export interface CachedReads {
  principal(tokenHash: Uint8Array): Promise<Principal | null>;
  organizationByLogin(login: string): Promise<(Organization & { createdAt: Date }) | null>;
  /** The enterprise with this slug and the user's relation to it; null when there is none. */
  enterpriseWithRelation(
    slug: string,
    userId: number,
  ): Promise<{ enterprise: Enterprise; relation: EnterpriseRelation } | null>;
  organizationRelation(organizationId: number, userId: number): Promise<OrganizationRelation>;
  /** A user of the enterprise by login (a revocation's target), or null. */
  enterprisePerson(enterpriseId: number, login: string): Promise<User | null>;
  /**
   * The live authorization and, on a cached answer, its age as of now rather than as of the read;
   * `recordAccess` writes its last use and makes the cached answer say so.
   */
  liveAuthorization(
    credentialId: number,
    organizationId: number,
  ): Promise<(LiveAuthorization & { recordAccess(): void }) | null>;
  /**
   * Changes whenever this process has recorded a last use, and on PostgreSQL also every second
   * (other processes record theirs silently): part of the key of any cached answer that shows one.
   */
  accessVersion(): string;
  /** Resolves once every last use recorded so far is written: a read that shows them awaits it. */
  accessesRecorded(): Promise<void>;
}

export function cachedReads(db: Db, onAccessNotRecorded: (error: unknown) => void = () => {}): CachedReads {
  const identity = exactCache(db, { unaffectedBy: REVOCATION_WORK_SCOPES });
  const read = exactCache(db);
  const accesses = accessRecorder(db, onAccessNotRecorded);
  return {
    principal: principalLookup(db, identity),
    organizationByLogin: (login) =>
      identity(`organization ${login.toLowerCase()}`, () => findOrganizationByLogin(db, login)),
    enterpriseWithRelation: (slug, userId) =>
      identity(`enterprise ${slug.toLowerCase()} ${userId}`, () => findEnterpriseWithRelation(db, slug, userId)),
    organizationRelation: (organizationId, userId) =>
      identity(`relation ${organizationId} ${userId}`, () => findOrganizationRelation(db, organizationId, userId)),
    enterprisePerson: (enterpriseId, login) =>
      identity(`person ${enterpriseId} ${login.toLowerCase()}`, () => findEnterprisePerson(db, enterpriseId, login)),
    async liveAuthorization(credentialId, organizationId) {
      const found = await read(`authorization ${credentialId} ${organizationId}`, async () => {
        const live = await findLiveAuthorization(db, credentialId, organizationId);
        return live && { ...live, readAt: performance.now() };
      });
      if (!found) return null;
      const elapsed = (performance.now() - found.readAt) / 1000;
      return {
        id: found.id,
        accessedSecondsAgo: found.accessedSecondsAgo === null ? null : found.accessedSecondsAgo + elapsed,
        // The last-use write moves no cache's epoch (db.ts), so the cached answer learns it here.
        recordAccess() {
          accesses.record(found.id);
          found.accessedSecondsAgo = 0;
          found.readAt = performance.now();
        },
      };
    },
    accessVersion: () =>
      // real time: how long another process's last use may stay unseen, not a GitHub rule
      db.kind === "postgres" ? `${accesses.written()} ${Math.floor(Date.now() / 1000)}` : String(accesses.written()),
    accessesRecorded: () => accesses.settled(),
  };
}

/**
 * Last uses are written after the read that made them has answered, together: a read never waits
 * for a write. The statements run one at a time; `settled` resolves once all recorded so far are in.
 */
function accessRecorder(db: Db, onFailure: (error: unknown) => void) {
  const pending = new Set<number>();
  let writing: Promise<void> | null = null;
  let written = 0;
  const write = async () => {
    // Let the requests of this turn of the event loop add theirs: one statement for them all.
    await new Promise((resolve) => setImmediate(resolve));
    while (pending.size > 0) {
      const ids = [...pending];
      pending.clear();
      try {
        await recordAuthorizationAccess(db, ids);
      } catch (error) {
        // A last-use time is not worth a failed request; the next use records it again.
        onFailure(error);
      }
      written++;
    }
  };
  const start = () => {
    writing = write().finally(() => {
      writing = null;
      if (pending.size > 0) start();
    });
  };
  return {
    record(id: number) {
      pending.add(id);
      if (writing === null) start();
    },
    written: () => written,
    async settled() {
      while (writing !== null) await writing;
    },
  };
}
