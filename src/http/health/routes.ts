// Health, for load balancers and orchestrators. `/healthz/live`: the process answers (restart it
// if not). `/healthz`: ready to serve — the database answers and the job queue runs — or 503 with
// what is down, so traffic goes elsewhere until it recovers by itself.
import type { FastifyInstance } from "fastify";
import { DATABASE_RETRY_AFTER_SECONDS } from "../error-handler.ts";
import type { Services } from "../services.ts";

export default async function healthRoutes(app: FastifyInstance, services: Services): Promise<void> {
  // Probes are not API calls: they count against no rate limit.
  const config = { rateLimitResource: "none" } as const;
  app.get("/healthz/live", { config }, async () => ({ status: "ok" }));

  app.get("/healthz", { config }, async (_request, reply) => {
    const database = await services.db.query("select 1").then(
      () => "ok" as const,
      () => "unavailable" as const,
    );
    const ready = database === "ok";
    if (!ready) reply.code(503).header("retry-after", String(DATABASE_RETRY_AFTER_SECONDS));
    return {
      status: ready ? "ok" : "unavailable",
      database,
      backend: services.db.kind,
      worker: services.config.runWorker,
    };
  });
}
