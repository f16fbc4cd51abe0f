// The limits no request-per-request test reaches quickly: concurrent requests, and `off`.

import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, it } from "node:test";
import type { FastifyReply, FastifyRequest } from "fastify";
import { Clock } from "../../src/domain/clock.ts";
import type { ApiError } from "../../src/errors.ts";
import { GITHUB_RATE_LIMITS, RateLimits } from "../../src/http/rate-limits.ts";

function call(method = "GET") {
  const headers: Record<string, string> = {};
  const raw = new EventEmitter();
  const request = {
    method,
    id: "1:2:3:4:5",
    ip: "127.0.0.1",
    routeOptions: { config: {} },
  } as unknown as FastifyRequest;
  const reply = { raw, headers: (h: Record<string, string>) => Object.assign(headers, h) } as unknown as FastifyReply;
  return { request, reply, headers, finish: () => raw.emit("close") };
}

describe("rate limits in the process", () => {
  it("refuses the 101st concurrent request of a user with a secondary limit, and admits again once one finishes", async () => {
    const limits = new RateLimits("github", new Clock());
    const running = [];
    for (let i = 0; i < GITHUB_RATE_LIMITS.concurrentRequests; i++) {
      const c = call();
      await limits.admit(c.request, c.reply, { userId: 1 });
      running.push(c);
    }
    const extra = call();
    await assert.rejects(
      limits.admit(extra.request, extra.reply, { userId: 1 }),
      (error: ApiError) => error.code === "secondary_rate_limit_exceeded" && error.headers["retry-after"] === "1",
    );
    const otherUser = call();
    await limits.admit(otherUser.request, otherUser.reply, { userId: 2 });
    running[0]!.finish();
    const next = call();
    await limits.admit(next.request, next.reply, { userId: 1 });
  });

  it("neither counts nor refuses when off", async () => {
    const limits = new RateLimits("off", new Clock());
    for (let i = 0; i < GITHUB_RATE_LIMITS.unauthenticatedPerHour + 10; i++) {
      const c = call("POST");
      await limits.admit(c.request, c.reply, { ip: "127.0.0.1" });
      assert.deepEqual(c.headers, {});
    }
  });

  it("says when a window resets by the one clock, moved or not", async () => {
    const DAY_S = 24 * 60 * 60;
    for (const offsetMs of [0, 10 * DAY_S * 1000]) {
      const c = call();
      await new RateLimits("github", new Clock(offsetMs)).admit(c.request, c.reply, { userId: 1 });
      const expected = Math.ceil((Date.now() + offsetMs) / 1000) + 3600;
      assert.ok(
        Math.abs(Number(c.headers["x-ratelimit-reset"]) - expected) <= 2,
        `${c.headers["x-ratelimit-reset"]} for ${expected}`,
      );
    }
  });
});
