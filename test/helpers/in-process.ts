// credauth served over real HTTP from inside the test process: buildApp on a new database, its
// worker running, listening on 127.0.0.1 and a port of the system's choosing. Clients that speak
// HTTP (Octokit, fetch) meet it as they would a `credauth serve`, without a process to start.
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { parseFixture } from "../../src/domain/fixture.ts";
import { applyFixture } from "../../src/store/seed.ts";
import { type Backend, buildTestApp, type Overrides, pgliteBackend, postgresBackend } from "./backends.ts";

export interface InProcessServer {
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

export async function listenInProcess(
  options: Overrides & { backend?: Backend; seed?: object } = {},
): Promise<InProcessServer> {
  // PostgreSQL when there is one: native, where PGlite's WebAssembly spends seconds of CPU on the
  // same requests (the integration tests run every behaviour on both).
  const { backend = postgresBackend ?? pgliteBackend, seed, ...overrides } = options;
  const { app, close } = await buildTestApp(backend, {
    runWorker: true,
    rateLimit: "github", // as `credauth serve` does
    jobs: { pollingIntervalSeconds: 0.5, backstopSeconds: 0.5, webhookRetrySeconds: 1 },
    ...overrides,
  });
  try {
    if (seed) await applyFixture(app.services.db, parseFixture(JSON.stringify(seed), "seed.json"));
    await app.listen({ host: "127.0.0.1", port: 0 });
  } catch (error) {
    await close();
    throw error;
  }
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, app, close };
}
