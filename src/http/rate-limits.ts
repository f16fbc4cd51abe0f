// GitHub's rate limits, enforced (docs/decisions.md): the primary hourly limit per user (per IP
// without a valid token), the audit log's own hourly limit, the documented secondary limits
// (concurrent requests, points per minute, content-creating requests per minute and per hour), and
// failed authentications per address: once an address has failed 60 times in an hour, every
// credential it presents, on any route, is refused before it is checked — so guessing tokens (or
// the admin token) learns nothing. Counters are fixed windows
// (rate-limiter-flexible), in this process's memory or one Redis shared by every process
// (rate-limit-store.ts), reported in the x-ratelimit-* headers of every answer.
// `--rate-limit off` turns refusals and headers off.

import type { FastifyReply, FastifyRequest } from "fastify";
import { type RateLimiterAbstract, RateLimiterRes } from "rate-limiter-flexible";
import type { RateLimitMode } from "../config.ts";
import type { Clock } from "../domain/clock.ts";
import { type ApiError, Errors } from "../errors.ts";
import { memoryStore, type RateLimitStore } from "./rate-limit-store.ts";

/** GitHub's documented numbers (rate-limits-for-the-rest-api; the audit log's from its endpoint description). */
export const GITHUB_RATE_LIMITS = {
  authenticatedPerHour: 5000,
  unauthenticatedPerHour: 60,
  auditLogPerHour: 1750,
  /** POST /credentials/revoke: "limited to only 60 unauthenticated requests per hour". */
  credentialRevocationPerHour: 60,
  /** Failed authentications from one address before it is refused every credential (60, as unauthenticated requests). */
  failedAuthenticationsPerHour: 60,
  concurrentRequests: 100,
  pointsPerMinute: 900,
  contentCreatingPerMinute: 80,
  contentCreatingPerHour: 500,
} as const;

/** A read costs one point, a write five (GitHub's secondary-limit accounting). */
const WRITE_METHODS = new Set(["POST", "PATCH", "PUT", "DELETE"]);

/**
 * Which counter a route draws on: GitHub's `core`, the audit log's own, POST /credentials/revoke's
 * own (per address), or none (health, the admin API).
 */
export type RateLimitResource = "core" | "audit_log" | "credentials_revoke" | "none";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The rate-limit resource this route counts against. (Default: core) */
    rateLimitResource?: RateLimitResource;
  }
  interface FastifyReply {
    /** Set once the request was counted, so it is counted once whatever path its answer takes. */
    rateLimitCounted?: boolean;
    /** The primary window the request was counted in, so that a 304 can be given back. */
    rateLimitCharge?: { limiter: RateLimiterAbstract; key: string; window: RateLimitWindow };
  }
}

export type Caller = { userId: number } | { ip: string };

/** One resource's window as GitHub's `rate-limit` schema has it. */
export interface RateLimitWindow {
  limit: number;
  used: number;
  remaining: number;
  /** When the window starts over, in UTC epoch seconds. */
  reset: number;
}

/** Each counter: the field holding it, its name in the store, its points and its window in seconds. */
const LIMITERS = [
  { field: "authenticated", name: "user", points: GITHUB_RATE_LIMITS.authenticatedPerHour, seconds: 3600 },
  { field: "unauthenticated", name: "address", points: GITHUB_RATE_LIMITS.unauthenticatedPerHour, seconds: 3600 },
  { field: "auditLog", name: "audit-log", points: GITHUB_RATE_LIMITS.auditLogPerHour, seconds: 3600 },
  {
    field: "credentialRevocation",
    name: "credentials-revoke",
    points: GITHUB_RATE_LIMITS.credentialRevocationPerHour,
    seconds: 3600,
  },
  { field: "points", name: "points", points: GITHUB_RATE_LIMITS.pointsPerMinute, seconds: 60 },
  {
    field: "creatingPerMinute",
    name: "creating-minute",
    points: GITHUB_RATE_LIMITS.contentCreatingPerMinute,
    seconds: 60,
  },
  { field: "creatingPerHour", name: "creating-hour", points: GITHUB_RATE_LIMITS.contentCreatingPerHour, seconds: 3600 },
  {
    field: "failedAuthentications",
    name: "failed-authentications",
    points: GITHUB_RATE_LIMITS.failedAuthenticationsPerHour,
    seconds: 3600,
  },
] as const;

export class RateLimits {
  private authenticated!: RateLimiterAbstract;
  private unauthenticated!: RateLimiterAbstract;
  private auditLog!: RateLimiterAbstract;
  private credentialRevocation!: RateLimiterAbstract;
  private points!: RateLimiterAbstract;
  private creatingPerMinute!: RateLimiterAbstract;
  private creatingPerHour!: RateLimiterAbstract;
  /** Failed authentications per address, whatever the route: GitHub's "failed login limit". */
  private failedAuthentications!: RateLimiterAbstract;
  /** Requests under way per caller: always this process's own (a request runs in one process). */
  private readonly inFlight = new Map<string, number>();

  readonly mode: RateLimitMode;
  /** Told of every refusal (metrics). */
  private readonly onRefusal: (resource: string, limit: "primary" | "secondary") => void;

  private readonly store: RateLimitStore;

  private readonly clock: Clock;

  constructor(
    mode: RateLimitMode,
    clock: Clock,
    onRefusal: (resource: string, limit: "primary" | "secondary") => void = () => {},
    store: RateLimitStore = memoryStore,
  ) {
    this.mode = mode;
    this.clock = clock;
    this.onRefusal = onRefusal;
    this.store = store;
    this.makeLimiters();
  }

  /** Forgets every count, in this process and in the shared store (a harness reset). */
  async reset(): Promise<void> {
    await this.store.clear();
    this.makeLimiters();
  }

  /**
   * The clock moved forward `ms`: every window that long or shorter is over, and starts again.
   * (A window longer than the move keeps its count: the counters measure their windows in real
   * time, so a move shorter than a window does not shorten it.)
   */
  async clockMoved(ms: number): Promise<void> {
    const over = new Set([60, 3600].filter((seconds) => seconds * 1000 <= ms));
    if (over.size === 0) return;
    await this.store.clear(LIMITERS.filter((limiter) => over.has(limiter.seconds)).map((limiter) => limiter.name));
    this.makeLimiters(over);
  }

  private makeLimiters(windows: ReadonlySet<number> = new Set([60, 3600])): void {
    for (const { field, name, points, seconds } of LIMITERS)
      if (windows.has(seconds)) this[field] = this.store.limiter(name, points, seconds);
  }

  /** Lets go of the counters' store (a Redis connection). */
  close(): Promise<void> {
    return this.store.close();
  }

  /**
   * Called before a presented credential is checked, on every route that reads one: an address past
   * its failed authentications is refused with the address's 403, valid credential or not, so a
   * guess that happens to be right is not told apart from a wrong one.
   */
  async refuseGuessing(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (this.mode === "off") return;
    const failures = await this.failedAuthentications.get(`ip:${request.ip}`);
    if (failures === null || failures.consumedPoints < GITHUB_RATE_LIMITS.failedAuthenticationsPerHour) return;
    throw this.addressRefused(request, reply, failures);
  }

  /**
   * A credential that authenticates nobody: counted against the address (and its unauthenticated
   * hourly window, as GitHub counts a failed login), whatever route it came to. The error to answer
   * with: GitHub's 401, or the address's 403 once its failures are used up.
   */
  async failedAuthentication(
    request: FastifyRequest,
    reply: FastifyReply,
    refusal: ApiError = Errors.badCredentials(),
  ): Promise<ApiError> {
    if (this.mode === "off") return refusal;
    reply.rateLimitCounted = true;
    const key = `ip:${request.ip}`;
    const window = windowOf(
      this.clock,
      await consume(this.unauthenticated, key, 1),
      GITHUB_RATE_LIMITS.unauthenticatedPerHour,
      3600,
    );
    setWindowHeaders(reply, window, "core");
    const failures = await consume(this.failedAuthentications, key, 1);
    return failures.consumedPoints <= GITHUB_RATE_LIMITS.failedAuthenticationsPerHour
      ? refusal
      : this.addressRefused(request, reply, failures);
  }

  private addressRefused(request: FastifyRequest, reply: FastifyReply, failures: RateLimiterRes): ApiError {
    reply.rateLimitCounted = true;
    setWindowHeaders(
      reply,
      windowOf(this.clock, failures, GITHUB_RATE_LIMITS.failedAuthenticationsPerHour, 3600),
      "core",
    );
    this.onRefusal("core", "primary");
    return Errors.primaryRateLimitExceededForIp(request.ip, request.id, this.clock.now());
  }

  /** The caller's primary windows as they stand, counting nothing (GET /rate_limit). */
  async status(caller: Caller, ip: string): Promise<{ core: RateLimitWindow; audit_log: RateLimitWindow }> {
    const key = callerKey(caller);
    const [limiter, limit] =
      "userId" in caller
        ? [this.authenticated, GITHUB_RATE_LIMITS.authenticatedPerHour]
        : [this.unauthenticated, GITHUB_RATE_LIMITS.unauthenticatedPerHour];
    return {
      core: windowOf(this.clock, await limiter.get(key), limit, 3600),
      audit_log: windowOf(
        this.clock,
        await this.auditLog.get(`${key} ip:${ip}`),
        GITHUB_RATE_LIMITS.auditLogPerHour,
        3600,
      ),
    };
  }

  /**
   * Counts the request against the caller's limits and sets the x-ratelimit-* headers; throws
   * GitHub's 403 when a limit is exhausted. `refuse: false` only counts (a request already being
   * refused for another reason).
   */
  async admit(
    request: FastifyRequest,
    reply: FastifyReply,
    caller: Caller,
    options: { refuse: boolean } = { refuse: true },
  ): Promise<void> {
    if (this.mode === "off" || reply.rateLimitCounted) return;
    reply.rateLimitCounted = true;
    const resource = request.routeOptions.config?.rateLimitResource ?? "core";
    if (resource === "none") return;
    const key = callerKey(caller);

    const [limiter, limit] =
      resource === "audit_log"
        ? [this.auditLog, GITHUB_RATE_LIMITS.auditLogPerHour]
        : resource === "credentials_revoke"
          ? [this.credentialRevocation, GITHUB_RATE_LIMITS.credentialRevocationPerHour]
          : "userId" in caller
            ? [this.authenticated, GITHUB_RATE_LIMITS.authenticatedPerHour]
            : [this.unauthenticated, GITHUB_RATE_LIMITS.unauthenticatedPerHour];
    // The audit log counts per user and IP, as GitHub documents it; the credential revocation per IP.
    const counterKey =
      resource === "audit_log"
        ? `${key} ip:${request.ip}`
        : resource === "credentials_revoke"
          ? `ip:${request.ip}`
          : key;
    const primary = await consume(limiter, counterKey, 1);
    const window = windowOf(this.clock, primary, limit, 3600);
    reply.rateLimitCharge = { limiter, key: counterKey, window };
    setWindowHeaders(reply, window, resource);
    if (!options.refuse) return;
    if (primary.consumedPoints > limit) {
      this.onRefusal(resource, "primary");
      throw "userId" in caller
        ? Errors.primaryRateLimitExceededForUser(String(caller.userId), request.id, this.clock.now())
        : Errors.primaryRateLimitExceededForIp(caller.ip, request.id, this.clock.now());
    }

    const write = WRITE_METHODS.has(request.method);
    const secondary = [await consume(this.points, key, write ? 5 : 1)];
    if (write)
      secondary.push(await consume(this.creatingPerMinute, key, 1), await consume(this.creatingPerHour, key, 1));
    const limits = [
      GITHUB_RATE_LIMITS.pointsPerMinute,
      GITHUB_RATE_LIMITS.contentCreatingPerMinute,
      GITHUB_RATE_LIMITS.contentCreatingPerHour,
    ];
    const exceeded = secondary.filter((res, i) => res.consumedPoints > limits[i]!);
    if (exceeded.length > 0) {
      this.onRefusal(resource, "secondary");
      throw secondaryLimit(request, this.clock, Math.max(...exceeded.map((res) => res.msBeforeNext)));
    }

    const running = (this.inFlight.get(key) ?? 0) + 1;
    if (running > GITHUB_RATE_LIMITS.concurrentRequests) {
      this.onRefusal(resource, "secondary");
      throw secondaryLimit(request, this.clock, 1000);
    }
    this.inFlight.set(key, running);
    reply.raw.once("close", () => {
      const left = (this.inFlight.get(key) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(key);
      else this.inFlight.set(key, left);
    });
  }
}

/**
 * Gives back the request's count in its primary window: a conditional request answered 304 does
 * not count against the primary rate limit (GitHub documents the same).
 */
export async function refundPrimary(reply: FastifyReply): Promise<void> {
  const charge = reply.rateLimitCharge;
  if (!charge) return;
  reply.rateLimitCharge = undefined;
  await charge.limiter.reward(charge.key, 1);
  const used = Math.max(0, charge.window.used - 1);
  reply.headers({
    "x-ratelimit-remaining": String(charge.window.limit - used),
    "x-ratelimit-used": String(used),
  });
}

function setWindowHeaders(reply: FastifyReply, window: RateLimitWindow, resource: string): void {
  reply.headers({
    "x-ratelimit-limit": String(window.limit),
    "x-ratelimit-remaining": String(window.remaining),
    "x-ratelimit-reset": String(window.reset),
    "x-ratelimit-used": String(window.used),
    "x-ratelimit-resource": resource,
  });
}

const callerKey = (caller: Caller) => ("userId" in caller ? `user:${caller.userId}` : `ip:${caller.ip}`);

/** A counter's state as a window; no counter yet is an untouched window starting now. */
function windowOf(clock: Clock, counted: RateLimiterRes | null, limit: number, seconds: number): RateLimitWindow {
  const used = Math.min(counted?.consumedPoints ?? 0, limit);
  const msLeft = counted ? counted.msBeforeNext : seconds * 1000;
  return { limit, used, remaining: limit - used, reset: Math.ceil((clock.nowMs() + msLeft) / 1000) };
}

function secondaryLimit(request: FastifyRequest, clock: Clock, waitMs: number): ApiError {
  return Errors.secondaryRateLimitExceeded(request.id, Math.max(1, Math.ceil(waitMs / 1000)), clock.now());
}

/** consume() without the exception: a refused consumption is a result, not an error. */
async function consume(limiter: RateLimiterAbstract, key: string, points: number): Promise<RateLimiterRes> {
  try {
    return await limiter.consume(key, points);
  } catch (result) {
    if (result instanceof RateLimiterRes) return result;
    throw result;
  }
}
