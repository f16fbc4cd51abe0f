// The harness in front of every route but its own: fault rules answer or delay a request before
// anything reads or writes for it (no authentication recorded, no rate limit counted), and every
// answer is journaled — never a token or a body. Installed only when the admin token is set.
import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { FaultRule } from "../../domain/faults.ts";
import { type ApiError, Errors } from "../../errors.ts";
import { authenticate } from "../authentication.ts";
import { GITHUB_RATE_LIMITS } from "../rate-limits.ts";
import type { Services } from "../services.ts";
import { ADMIN_PREFIX } from "../urls.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** The fault rule that answered or delayed this request, for the journal. */
    harnessFault: number | null;
    /** When it came, on credauth's clock (epoch ms); null for a request the journal leaves out. */
    harnessAt: number | null;
  }
}

const SECONDARY_RETRY_AFTER_SECONDS = 60;

const pathOf = (request: FastifyRequest) => request.url.split("?")[0] ?? "/";
const isHarnessOwn = (path: string) => path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`);

/** GitHub's answer for the fault: a 5xx, or a rate limit with the headers clients wait by. */
async function faultAnswer(
  rule: FaultRule,
  request: FastifyRequest,
  reply: FastifyReply,
  services: Services,
): Promise<ApiError> {
  const status = rule.status!;
  if (typeof status === "number") return Errors.injectedServerError(status);
  const now = services.clock.now();
  if (status === "secondary_rate_limit")
    return Errors.secondaryRateLimitExceeded(request.id, SECONDARY_RETRY_AFTER_SECONDS, now);
  // The caller as GitHub would name them, looked up without recording anything.
  const caller = await authenticate(services.reads.principal, request.headers.authorization, now);
  const limit =
    caller.kind === "authenticated"
      ? GITHUB_RATE_LIMITS.authenticatedPerHour
      : GITHUB_RATE_LIMITS.unauthenticatedPerHour;
  reply.headers({
    "x-ratelimit-limit": String(limit),
    "x-ratelimit-remaining": "0",
    "x-ratelimit-used": String(limit),
    "x-ratelimit-reset": String(Math.ceil(now.getTime() / 1000) + 3600),
    "x-ratelimit-resource": "core",
  });
  return caller.kind === "authenticated"
    ? Errors.primaryRateLimitExceededForUser(String(caller.principal.user.id), request.id, now)
    : Errors.primaryRateLimitExceededForIp(request.ip, request.id, now);
}

async function harnessHooks(app: FastifyInstance, services: Services): Promise<void> {
  const state = services.harness;
  app.decorateRequest("harnessFault", null);
  app.decorateRequest("harnessAt", null);
  // Callback hooks, not async ones: with no fault rule in force a request pays a clock reading and
  // no promise (the bench's harness scenario weighs this against GET /user).
  app.addHook("onRequest", (request, reply, done) => {
    const path = pathOf(request);
    if (isHarnessOwn(path)) return done();
    request.harnessAt = services.clock.nowMs();
    const rule = state.takeFault(request.method, path);
    if (rule === null) return done();
    request.harnessFault = rule.id;
    answerFault(rule, request, reply, services).then(() => done(), done);
  });
  app.addHook("onResponse", (request, reply, done) => {
    if (request.harnessAt !== null) {
      const principal = request.principal;
      // A GitHub App signed in with its JWT acts as its bot account, with no token of its own.
      const app = request.appCaller;
      state.record({
        at: request.harnessAt,
        method: request.method,
        path: pathOf(request),
        route: request.routeOptions.url ?? null,
        status: reply.statusCode,
        actor: principal?.user.login ?? app?.botUser.login ?? null,
        token_type: principal?.credential.type ?? (app ? "github_app_jwt" : null),
        fault: request.harnessFault,
        duration_ms: Math.round(reply.elapsedTime * 10) / 10,
      });
    }
    done();
  });
}

/** Waits out the rule's delay, then (if it has a status) throws GitHub's answer for it. */
async function answerFault(rule: FaultRule, request: FastifyRequest, reply: FastifyReply, services: Services) {
  if (rule.delayMs > 0) await sleep(rule.delayMs);
  if (rule.status === null) return;
  // Not counted against any rate limit (the error handler counts refusals that were not).
  reply.rateLimitCounted = true;
  throw await faultAnswer(rule, request, reply, services);
}

export default fp(harnessHooks, { name: "harness-hooks" });
