// The cost per request of counting GitHub's rate limits, in this process's memory and in Redis
// (--rate-limit-redis-url), beside the same requests with the limits off: GET /user through
// inject(), so what differs between the three is the counting alone. Each round gives every store
// a user of its own (5,000 requests an hour each), in turn, and the medians over rounds are kept.
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { parseConfig } from "../src/config.ts";
import { parseFixture } from "../src/domain/fixture.ts";
import { generateToken } from "../src/domain/tokens.ts";
import { buildApp } from "../src/http/app.ts";
import { applyFixture } from "../src/store/seed.ts";

export interface RateLimitCostResult {
  requests: number;
  rounds: number;
  /** Median microseconds per request. */
  offUs: number;
  memoryUs: number;
  redisUs: number;
}

type Store = "off" | "memory" | "redis";

export async function rateLimitCost(
  options: { requests: number; rounds: number; redisUrl: string },
  log: (line: string) => void,
): Promise<RateLimitCostResult> {
  const prefix = `credauth-bench-${randomBytes(6).toString("hex")}`;
  const stores: Store[] = ["off", "memory", "redis"];
  const logins = stores.flatMap((store) => Array.from({ length: options.rounds }, (_, r) => `bench_${store}_${r}`));
  const tokens = new Map(logins.map((login) => [login, generateToken("classic_pat")]));
  const fixture = parseFixture(
    JSON.stringify({
      users: logins.map((login) => ({
        login,
        credentials: [{ type: "classic_pat", token: tokens.get(login), scopes: ["read:user"] }],
      })),
    }),
    "rate-limit-bench.json",
  );
  const apps = new Map<Store, Awaited<ReturnType<typeof buildApp>>>();
  for (const store of stores) {
    const config = parseConfig(
      {
        data: ":memory:",
        worker: false,
        logLevel: "silent",
        rateLimit: store === "off" ? "off" : "github",
        ...(store === "redis" ? { rateLimitRedisUrl: options.redisUrl, rateLimitRedisPrefix: prefix } : {}),
      },
      {},
    );
    const app = await buildApp(config);
    await applyFixture(app.services.db, fixture);
    apps.set(store, app);
  }
  const samples = new Map<Store, number[]>(stores.map((store) => [store, []]));
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const store of stores) {
        const app = apps.get(store)!;
        const headers = { authorization: `Bearer ${tokens.get(`bench_${store}_${round}`)}`, "user-agent": "bench" };
        // Warm the user's cached principal: the first request is not the counting's cost.
        await app.inject({ method: "GET", url: "/user", headers });
        const started = performance.now();
        for (let i = 0; i < options.requests; i++) {
          const response = await app.inject({ method: "GET", url: "/user", headers });
          if (response.statusCode !== 200) throw new Error(`${store}: GET /user answered ${response.statusCode}`);
        }
        samples.get(store)!.push(((performance.now() - started) * 1000) / options.requests);
      }
    }
  } finally {
    for (const app of apps.values()) await app.close();
    const redis = new Redis(options.redisUrl);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
  const medianOf = (store: Store) => {
    const sorted = [...samples.get(store)!].sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)]!;
  };
  const result = {
    requests: options.requests,
    rounds: options.rounds,
    offUs: medianOf("off"),
    memoryUs: medianOf("memory"),
    redisUs: medianOf("redis"),
  };
  log(
    `  rate limits: GET /user ${result.offUs.toFixed(0)} µs off, ${result.memoryUs.toFixed(0)} µs counted in memory, ${result.redisUs.toFixed(0)} µs in Redis (medians of ${options.rounds} rounds of ${options.requests})`,
  );
  return result;
}
