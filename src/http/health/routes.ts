// GET /healthz — 200 once the database is migrated and answering. Registered only after start-up
// finished, so an earlier probe cannot see a half-ready server.
import type { FastifyInstance } from "fastify";
import type { Services } from "../services.ts";

export default async function healthRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.get("/healthz", async () => {
    await services.db.query("select 1");
    return { status: "ok", database: services.db.kind };
  });
}
