// An in-process read cache that is exact, not eventually consistent, wherever the database can
// vouch for it: an epoch that moves with every write (embedded PGlite, where one process sees every
// write). An answer is kept only if no write happened while it was read, and is used only until the
// next write. A revocation commits before its 202 is sent, so every request that can follow the 202
// misses the cache and meets the fence in the database. On PostgreSQL, where other processes write,
// the epoch also moves with every write they announce, and a 202 waits until every serving process
// has read that announcement (store/cache-coherence.ts); while a process cannot vouch for that, its
// epoch is null and every read goes to the database.
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
