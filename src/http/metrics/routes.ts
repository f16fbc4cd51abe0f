// GET /metrics in Prometheus's text format. On the API port it needs the site-admin token (it
// tells how busy the service is and how its jobs fare); `--metrics-port` serves it without one,
// on an address of its own (localhost by default). Without an admin token, the API port has none.
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import fp from "fastify-plugin";
import { exposition, type Metrics } from "../../metrics.ts";
import type { Services } from "../services.ts";
import { siteAdminGuard } from "../site-admin.ts";

export const METRICS_PATH = "/metrics";

async function sendMetrics(metrics: Metrics, reply: FastifyReply) {
  const served = exposition(metrics);
  const text = await served.text();
  return reply.header("content-type", served.contentType).header("cache-control", "no-store").send(text);
}

export default async function metricsRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const { adminToken } = services.config;
  if (adminToken === null) return;
  // Authenticated by the site-admin token, and no GitHub rate limit: a scraper is not a GitHub user.
  const config = { siteAdmin: true, rateLimitResource: "none" } as const;
  app.get(METRICS_PATH, { config, onRequest: siteAdminGuard(adminToken, services.rateLimits) }, (_request, reply) =>
    sendMetrics(services.metrics, reply),
  );
}

/** The app behind `--metrics-port`: /metrics and nothing else, unauthenticated; the CLI listens. */
export function buildMetricsApp(metrics: Metrics): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get(METRICS_PATH, (_request, reply) => sendMetrics(metrics, reply));
  return app;
}

/**
 * Times every answer by route pattern, so the label set stays small: a URL that matched no route
 * counts as `unmatched`, and the path's logins and ids never become labels.
 */
export const requestMetrics = fp(
  async (app: FastifyInstance, metrics: Metrics) => {
    app.addHook("onResponse", (request, reply, done) => {
      metrics.httpRequests.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? "unmatched",
          status_code: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      );
      done();
    });
  },
  { name: "request-metrics" },
);
