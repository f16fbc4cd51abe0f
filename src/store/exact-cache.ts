// An in-process read cache that is exact, not eventually consistent, wherever the database port
// can vouch for it with a write epoch (store/db.ts). An answer is kept only if no write happened
// while it was read, and is used only until the next write to a scope its reads depend on
// (store/write-scopes.ts). Embedded, the process sees every write; on PostgreSQL the epoch also
// moves with every write other processes announce, and a response to a write waits until every
// serving process has read that announcement (store/cache-coherence.ts).
// So every request that can follow a revocation's 202 misses the cache and meets the fence in the
// database. While a process cannot vouch for the epoch, it is null and every read goes to the database.
import type { Db } from "./db.ts";

/** Reads `key` through the cache; `keep` says whether an answer may be kept (default: any). */
export type ExactRead = <V>(key: string, load: () => Promise<V>, keep?: (value: V) => boolean) => Promise<V>;

export interface ExactCacheLimits {
  /** The most answers kept; past it the cache starts over. */
  capacity?: number;
  /** The most weight kept (say, characters of rendered bodies), with `weigh` telling an answer's. */
  budget?: number;
  weigh?: (value: unknown) => number;
  /** Scopes none of its loads read (store/write-scopes.ts): writes to them alone keep its answers. */
  unaffectedBy?: readonly string[];
}

export function exactCache(db: Db, limits: ExactCacheLimits = {}): ExactRead {
  const { capacity = 50_000, budget = Number.POSITIVE_INFINITY, weigh = () => 0, unaffectedBy } = limits;
  const writeEpoch = () => db.writeEpoch(unaffectedBy);
  const cache = new Map<string, unknown>();
  // Loads under way for the current epoch: callers that arrive meanwhile share one. Each of them
  // arrived after every write the epoch stands for, and so did the load, so its answer is as
  // fresh as theirs would be.
  const loading = new Map<string, Promise<unknown>>();
  let weight = 0;
  let cachedEpoch = writeEpoch();
  const startOver = () => {
    cache.clear();
    loading.clear();
    weight = 0;
  };
  return async <V>(key: string, load: () => Promise<V>, keep: (value: V) => boolean = () => true) => {
    const epoch = writeEpoch();
    if (epoch === null) {
      startOver();
      cachedEpoch = null;
      return load();
    }
    if (epoch !== cachedEpoch) {
      startOver();
      cachedEpoch = epoch;
    }
    if (cache.has(key)) return cache.get(key) as V;
    const shared = loading.get(key);
    if (shared) return shared as Promise<V>;
    const loaded = load();
    loading.set(key, loaded);
    try {
      const value = await loaded;
      if (keep(value) && writeEpoch() === epoch && cachedEpoch === epoch) {
        const heft = weigh(value);
        if (cache.size >= capacity || weight + heft > budget) startOver();
        if (heft <= budget) {
          cache.set(key, value);
          weight += heft;
        }
      }
      return value;
    } finally {
      if (loading.get(key) === loaded) loading.delete(key);
    }
  };
}
