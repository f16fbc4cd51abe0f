// An in-process read cache that is exact, not eventually consistent, wherever the database port
// can vouch for it with a write epoch (store/db.ts). An answer is kept only if no write happened
// while it was read, and is used only until the next write. Embedded, the process sees every write;
// on PostgreSQL the epoch also moves with every write other processes announce, and a response to a
// write waits until every serving process has read that announcement (store/cache-coherence.ts).
// So every request that can follow a revocation's 202 misses the cache and meets the fence in the
// database. While a process cannot vouch for the epoch, it is null and every read goes to the database.
import type { Db } from "./db.ts";

/** Reads `key` through the cache; `keep` says whether an answer may be kept (default: any). */
export type ExactRead = <V>(key: string, load: () => Promise<V>, keep?: (value: V) => boolean) => Promise<V>;

export function exactCache(db: Db, capacity = 50_000): ExactRead {
  const cache = new Map<string, unknown>();
  let cachedEpoch = db.writeEpoch();
  return async <V>(key: string, load: () => Promise<V>, keep: (value: V) => boolean = () => true) => {
    const epoch = db.writeEpoch();
    if (epoch === null) {
      cache.clear();
      cachedEpoch = null;
      return load();
    }
    if (epoch !== cachedEpoch) {
      cache.clear();
      cachedEpoch = epoch;
    }
    if (cache.has(key)) return cache.get(key) as V;
    const value = await load();
    if (keep(value) && db.writeEpoch() === epoch && cachedEpoch === epoch) {
      if (cache.size >= capacity) cache.clear();
      cache.set(key, value);
    }
    return value;
  };
}
