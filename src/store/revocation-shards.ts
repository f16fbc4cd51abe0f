// A revocation's shards: id ranges planned once per request, each drained by its own job, and the
// request settled when the last one completes.
import type { Queryable } from "./db.ts";
import { finishRevocation } from "./revocation-requests.ts";

export type ShardPhase = "authorizations" | "credentials";

export interface Shard {
  revocationId: number;
  shard: number;
  phase: ShardPhase;
  afterId: number;
  throughId: number;
  done: boolean;
}

/**
 * Splits a revocation into shards, once: id ranges of `span` ids per phase over what exists now
 * (rows created later are outside the scope anyway). A revocation aimed at one user is one shard per
 * phase: its rows are few and found through the user's index. Returns the shards created by this
 * call (none when they already existed).
 */
export async function planShards(
  tx: Queryable,
  revocationId: number,
  span: number,
): Promise<(Shard & { targetUserId: number | null })[]> {
  const [revocation] = await tx.query<{
    target_user_id: number | null;
    revoke_credentials: boolean;
    planned: boolean;
    max_authorization: number | null;
    max_credential: number | null;
  }>(
    `select target_user_id, revoke_credentials,
            exists (select 1 from revocation_shards where revocation_id = $1) as planned,
            (select max(id) from credential_authorizations) as max_authorization,
            (select max(id) from credentials) as max_credential
       from revocations where id = $1 for update`,
    [revocationId],
  );
  if (!revocation || revocation.planned) return [];
  const ranges: { phase: ShardPhase; afterId: number; throughId: number }[] = [];
  const split = (phase: ShardPhase, maxId: number | null) => {
    if (maxId === null) return;
    const step = revocation.target_user_id === null ? span : maxId;
    for (let afterId = 0; afterId < maxId; afterId += step)
      ranges.push({ phase, afterId, throughId: Math.min(afterId + step, maxId) });
  };
  split("authorizations", revocation.max_authorization);
  if (revocation.revoke_credentials) split("credentials", revocation.max_credential);
  const shards = ranges.map((range, shard) => ({
    revocationId,
    shard,
    ...range,
    done: false,
    targetUserId: revocation.target_user_id,
  }));
  for (const shard of shards) {
    await tx.query(
      "insert into revocation_shards (revocation_id, shard, phase, after_id, through_id) values ($1, $2, $3, $4, $5)",
      [revocationId, shard.shard, shard.phase, shard.afterId, shard.throughId],
    );
  }
  return shards;
}

export async function findShard(
  db: Queryable,
  revocationId: number,
  shard: number,
): Promise<(Shard & { targetUserId: number | null; organizationId: number | null }) | null> {
  const [row] = await db.query<{
    phase: ShardPhase;
    after_id: number;
    through_id: number;
    done: boolean;
    target_user_id: number | null;
    organization_id: number | null;
  }>(
    `select s.phase, s.after_id, s.through_id, s.done, r.target_user_id, r.organization_id
       from revocation_shards s join revocations r on r.id = s.revocation_id
      where s.revocation_id = $1 and s.shard = $2`,
    [revocationId, shard],
  );
  if (!row) return null;
  return {
    revocationId,
    shard,
    phase: row.phase,
    afterId: row.after_id,
    throughId: row.through_id,
    done: row.done,
    targetUserId: row.target_user_id,
    organizationId: row.organization_id,
  };
}

export async function listUnfinishedShards(db: Queryable, revocationId: number): Promise<number[]> {
  const rows = await db.query<{ shard: number }>(
    "select shard from revocation_shards where revocation_id = $1 and not done order by shard",
    [revocationId],
  );
  return rows.map((r) => r.shard);
}

/** How many of a revocation's shards are done, of how many planned. */
export async function countShards(db: Queryable, revocationId: number): Promise<{ done: number; planned: number }> {
  const [row] = await db.query<{ done: number; planned: number }>(
    `select count(*) filter (where done)::int as done, count(*)::int as planned
       from revocation_shards where revocation_id = $1`,
    [revocationId],
  );
  return row ?? { done: 0, planned: 0 };
}

/**
 * Marks a shard done and, when it was the last, the revocation succeeded. The revocation row is
 * locked first, so of two shards finishing at once the second sees the first's commit.
 */
export async function completeShard(tx: Queryable, revocationId: number, shard: number): Promise<boolean> {
  await tx.query("select id from revocations where id = $1 for update", [revocationId]);
  await tx.query("update revocation_shards set done = true where revocation_id = $1 and shard = $2", [
    revocationId,
    shard,
  ]);
  const [row] = await tx.query<{ remaining: number }>(
    "select count(*)::int as remaining from revocation_shards where revocation_id = $1 and not done",
    [revocationId],
  );
  if ((row?.remaining ?? 0) > 0) return false;
  await finishRevocation(tx, revocationId);
  return true;
}
