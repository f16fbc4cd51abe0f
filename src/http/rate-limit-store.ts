// Where the rate limits' counters live. In memory, each process counts its own share; in Redis
// (rate-limiter-flexible's RateLimiterRedis over ioredis), every `serve` counts in one place, so
// several processes behind a balancer enforce one limit per user and per address. Redis going away
// is not a reason to refuse anyone or to answer 5xx: each Redis limiter is insured by an in-memory
// one that counts in this process while Redis is unreachable or slow, and a warning says so once
// per outage.
import { Redis } from "ioredis";
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis } from "rate-limiter-flexible";
import type { Config } from "../config.ts";

/** A Redis answer slower than this counts as an outage for that request (the in-memory count answers). */
const REDIS_COMMAND_TIMEOUT_MS = 250;
/** How long start-up waits for Redis to answer before counting in memory meanwhile. */
const READY_WAIT_MS = 3_000;

export interface RateLimitStore {
  /** A fixed-window counter of `points` per `seconds`, named for its keys. */
  limiter(name: string, points: number, seconds: number): RateLimiterAbstract;
  /** Forgets the counts of the named limiters, or of all (a harness reset); they are made again after. */
  clear(names?: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

interface StoreLogger {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

/** Counters in this process's memory. */
export const memoryStore: RateLimitStore = {
  limiter: (_name, points, seconds) => new RateLimiterMemory({ points, duration: seconds }),
  clear: async () => {}, // a memory limiter's counts go with it
  close: async () => {},
};

/**
 * The configured store. Redis is waited for (a few seconds at most) so that the first requests
 * already count there; if it is not there, start-up goes on and the in-memory insurance counts.
 */
export async function openRateLimitStore(
  store: Config["rateLimitStore"],
  logger: StoreLogger,
): Promise<RateLimitStore> {
  if (store.kind === "memory") return memoryStore;
  const client = new Redis(store.url, {
    // A command while disconnected fails at once (the insurance counts) rather than waiting in a queue.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 2_000,
    lazyConnect: false,
  });
  let down = false;
  let closing = false;
  const lost = (reason: string) => {
    if (down || closing) return;
    down = true;
    logger.warn({ reason }, "rate-limit Redis unreachable: counting rate limits in this process until it is back");
  };
  // The messages name host and port at most, never the URL (which may hold a password).
  client.on("error", (error: Error) => lost(error.message));
  client.on("close", () => lost("the connection closed"));
  client.on("ready", () => {
    if (!down) return;
    down = false;
    logger.info({}, "rate-limit Redis is back: counting rate limits there again");
  });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, READY_WAIT_MS);
    client.once("ready", done);
    client.once("error", done);
    function done() {
      clearTimeout(timer);
      client.off("ready", done);
      client.off("error", done);
      resolve();
    }
  });
  return {
    limiter: (name, points, seconds) =>
      new RateLimiterRedis({
        storeClient: client,
        keyPrefix: `${store.keyPrefix}:rl:${name}`,
        points,
        duration: seconds,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ points, duration: seconds }),
      }),
    async clear(names) {
      for (const pattern of (names ?? ["*"]).map(
        (name) => `${store.keyPrefix}:rl:${name}${name === "*" ? "" : ":*"}`,
      )) {
        for (let cursor = "0"; ; ) {
          const [next, keys] = await client.scan(cursor, "MATCH", pattern, "COUNT", 1000);
          if (keys.length > 0) await client.unlink(...keys);
          if (next === "0") break;
          cursor = next;
        }
      }
    },
    async close() {
      closing = true;
      client.disconnect();
    },
  };
}
