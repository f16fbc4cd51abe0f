// GET /rate_limit — GitHub's own endpoint: the caller's rate-limit windows as they stand. Asking
// does not count against them (GitHub documents the same). PyGithub's get_rate_limit() and
// scripts that pace themselves read it.
import type { FastifyInstance } from "fastify";
import { Errors } from "../../errors.ts";
import type { Services } from "../services.ts";

/** Resources GitHub always lists that credauth does not serve: their full, untouched windows. */
const UNSERVED = { search: { limit: 30, seconds: 60 }, graphql: { limit: 5000, seconds: 3600 } };

export default async function rateLimitRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.get(
    "/rate_limit",
    {
      config: {
        operation: "rate-limit/get",
        rateLimitResource: "none",
        documentationUrl:
          "https://docs.github.com/rest/rate-limit/rate-limit#get-rate-limit-status-for-the-authenticated-user",
      },
    },
    async (request) => {
      if (services.rateLimits.mode === "off") throw Errors.rateLimitingDisabled();
      const caller = request.principal ? { userId: request.principal.user.id } : { ip: request.ip };
      const { core, audit_log } = await services.rateLimits.status(caller, request.ip);
      const now = Math.floor(services.clock.nowMs() / 1000);
      const unserved = Object.fromEntries(
        Object.entries(UNSERVED).map(([name, { limit, seconds }]) => [
          name,
          { limit, used: 0, remaining: limit, reset: now + seconds },
        ]),
      );
      const resources = { core, ...unserved, audit_log };
      // API version 2026-03-10 dropped the top-level `rate` (a copy of `core`).
      const version = request.headers["x-github-api-version"];
      return version === "2026-03-10" ? { resources } : { resources, rate: core };
    },
  );
}
