// One rate limit across processes: two apps (two `serve` processes' worth of counters) counting in
// one Redis (a private redis-server) enforce one limit per address between them, failed
// authentications included; with Redis unreachable, or killed and started again, each counts in
// its own memory meanwhile, with a warning, and nothing answers 5xx.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { Redis } from "ioredis";
import { generateToken } from "../../src/domain/tokens.ts";
import { GITHUB_RATE_LIMITS } from "../../src/http/rate-limits.ts";
import { buildTestApp, pgliteBackend } from "../helpers/backends.ts";
import { type PrivateRedis, startPrivateRedis } from "../helpers/private-redis.ts";
import { bearer } from "../helpers/world.ts";

describe("rate limits counted in Redis", () => {
  const apps: { app: FastifyInstance; close(): Promise<void> }[] = [];
  let redis: PrivateRedis;
  before(async () => {
    redis = await startPrivateRedis();
    for (let i = 0; i < 2; i++)
      apps.push(
        await buildTestApp(pgliteBackend, {
          rateLimit: "github",
          rateLimitRedis: { url: redis.url, prefix: "credauth" },
        }),
      );
  });
  after(async () => {
    for (const { close } of apps) await close();
    await redis?.stop();
  });

  it("counts an address's requests once across two processes, and refuses the 61st on either", async () => {
    const ip = "198.51.100.20";
    for (let i = 0; i < GITHUB_RATE_LIMITS.unauthenticatedPerHour; i++) {
      const { app } = apps[i % 2]!;
      const response = await app.inject({ method: "GET", url: "/orgs/nowhere", remoteAddress: ip });
      assert.equal(response.statusCode, 404);
      assert.equal(response.headers["x-ratelimit-used"], String(i + 1), `request ${i + 1} sees the shared count`);
    }
    for (const { app } of apps) {
      const refused = await app.inject({ method: "GET", url: "/orgs/nowhere", remoteAddress: ip });
      assert.equal(refused.statusCode, 403);
      assert.match(refused.json().message, /^API rate limit exceeded for 198\.51\.100\.20\./);
    }
  });

  it("counts failed authentications once across processes: the guessing guard holds on both", async () => {
    const ip = "198.51.100.21";
    for (let i = 0; i < GITHUB_RATE_LIMITS.failedAuthenticationsPerHour; i++) {
      const response = await apps[i % 2]!.app.inject({
        method: "GET",
        url: "/healthz",
        headers: bearer(generateToken("classic_pat")),
        remoteAddress: ip,
      });
      assert.equal(response.statusCode, 401);
    }
    for (const { app } of apps) {
      const refused = await app.inject({
        method: "GET",
        url: "/healthz",
        headers: bearer(generateToken("classic_pat")),
        remoteAddress: ip,
      });
      assert.equal(refused.statusCode, 403);
    }
  });

  it("starts the shared counts over on a harness reset, and the minute's on a clock move of a minute", async () => {
    const ip = "198.51.100.22";
    const used = async (i: number) =>
      Number(
        (await apps[i % 2]!.app.inject({ method: "GET", url: "/orgs/nowhere", remoteAddress: ip })).headers[
          "x-ratelimit-used"
        ],
      );
    await used(0);
    assert.equal(await used(1), 2);
    const keys = new Redis(redis.url);
    try {
      assert.ok((await keys.keys("credauth:rl:address:*")).length > 0);
      await apps[0]!.app.services.rateLimits.clockMoved(60_000); // the hourly address window stays
      assert.equal(await used(1), 3);
      await apps[0]!.app.services.rateLimits.reset();
      assert.deepEqual(await keys.keys("credauth:rl:*"), [], "every shared count is gone");
      assert.equal(await used(1), 1, "the other process counts from the start too");
    } finally {
      keys.disconnect();
    }
  });
});

describe("rate limits with Redis unreachable", () => {
  let app: FastifyInstance;
  let close: () => Promise<void>;
  const lines: string[] = [];
  before(async () => {
    ({ app, close } = await buildTestApp(
      pgliteBackend,
      {
        rateLimit: "github",
        rateLimitRedis: { url: "redis://127.0.0.1:1", prefix: "credauth-unreachable" },
        logLevel: "info",
      },
      { logStream: { write: (line) => void lines.push(line) } },
    ));
  });
  after(() => close());

  it("counts in the process, says so once, and never answers 5xx", async () => {
    const ip = "198.51.100.22";
    for (let i = 0; i < GITHUB_RATE_LIMITS.unauthenticatedPerHour; i++) {
      const response = await app.inject({ method: "GET", url: "/orgs/nowhere", remoteAddress: ip });
      assert.equal(response.statusCode, 404, response.body);
      assert.equal(response.headers["x-ratelimit-used"], String(i + 1));
    }
    const refused = await app.inject({ method: "GET", url: "/orgs/nowhere", remoteAddress: ip });
    assert.equal(refused.statusCode, 403, "the limit still holds, counted in memory");
    const warnings = lines.filter((line) => line.includes("rate-limit Redis unreachable"));
    assert.equal(warnings.length, 1, lines.join(""));
    assert.doesNotMatch(warnings[0]!, /redis:\/\//, "the warning names no URL");
  });
});

describe("rate limits when Redis goes away and comes back", () => {
  let app: FastifyInstance;
  let close: () => Promise<void>;
  let redis: PrivateRedis;
  const lines: string[] = [];
  before(async () => {
    redis = await startPrivateRedis();
    ({ app, close } = await buildTestApp(
      pgliteBackend,
      { rateLimit: "github", rateLimitRedis: { url: redis.url, prefix: "credauth-outage" }, logLevel: "info" },
      { logStream: { write: (line) => void lines.push(line) } },
    ));
  });
  after(async () => {
    await close();
    await redis?.stop();
  });

  it("keeps answering through the outage, counting in the process, and counts in Redis again once it is back", async () => {
    const ask = (ip: string) => app.inject({ method: "GET", url: "/orgs/nowhere", remoteAddress: ip });
    assert.equal((await ask("198.51.100.30")).headers["x-ratelimit-used"], "1");
    await redis.kill();
    for (let i = 0; i < 20; i++) {
      const response = await ask("198.51.100.31");
      assert.equal(response.statusCode, 404, `no 5xx while Redis is gone: ${response.body}`);
      assert.equal(response.headers["x-ratelimit-used"], String(i + 1), "counted in the process meanwhile");
    }
    // The warning comes when the client notices the connection gone, which may be after the requests.
    for (let i = 0; i < 50 && !lines.some((line) => line.includes("rate-limit Redis unreachable")); i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(lines.filter((line) => line.includes("rate-limit Redis unreachable")).length, 1, lines.join(""));
    await redis.restart();
    for (let i = 0; i < 100 && !lines.some((line) => line.includes("rate-limit Redis is back")); i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(
      lines.some((line) => line.includes("rate-limit Redis is back")),
      lines.join(""),
    );
    const direct = new Redis(redis.url);
    try {
      await ask("198.51.100.32");
      assert.ok((await direct.keys("credauth-outage:*")).length > 0, "counting in Redis again");
    } finally {
      direct.disconnect();
    }
  });
});
