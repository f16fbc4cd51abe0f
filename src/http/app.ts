// buildApp(config): the whole service as an unlistened Fastify instance. Tests drive it with
// inject(); only the CLI calls listen(). Closing the app stops the queue and closes the database.

import { readFileSync } from "node:fs";
import fastifyCookie from "@fastify/cookie";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import type { Config } from "../config.ts";
import { Clock } from "../domain/clock.ts";
import { Errors } from "../errors.ts";
import { transportsFor } from "../jobs/notification-delivery.ts";
import { startJobs } from "../jobs/queue.ts";
import { createLogger } from "../logging.ts";
import { createMetrics, observeRevocations } from "../metrics.ts";
import { openSecretBox } from "../secrets.ts";
import { findAppByIssuer } from "../store/apps.ts";
import { cachedReads } from "../store/cached-reads.ts";
import { readClockOffset, setClockOffset } from "../store/clock.ts";
import type { Db } from "../store/db.ts";
import { migrate } from "../store/migrate.ts";
import { openDatabase } from "../store/open.ts";
import adminRoutes from "./admin/routes.ts";
import applicationRoutes from "./applications/routes.ts";
import appRoutes from "./apps/routes.ts";
import auditLogRoutes from "./audit-log/routes.ts";
import authentication from "./authentication.ts";
import conditionalRequests from "./conditional-requests.ts";
import consoleRoutes from "./console/routes.ts";
import { readSession } from "./console/session.ts";
import credentialRoutes from "./credentials/routes.ts";
import enterpriseCredentialAuthorizationRoutes from "./enterprise-credential-authorizations/routes.ts";
import { installErrorHandling, protocolErrorResponse, renderError } from "./error-handler.ts";
import { exactBodies } from "./exact-bodies.ts";
import githubConventions, { newRequestId } from "./github-conventions.ts";
import harnessHooks from "./harness/hooks.ts";
import harnessRoutes from "./harness/routes.ts";
import { HarnessState } from "./harness/state.ts";
import healthRoutes from "./health/routes.ts";
import metricsRoutes, { requestMetrics } from "./metrics/routes.ts";
import openApiRoutes from "./openapi/routes.ts";
import organizationCredentialAuthorizationRoutes from "./organization-credential-authorizations/routes.ts";
import organizationRoutes from "./orgs/routes.ts";
import personalAccessTokenRoutes from "./personal-access-tokens/routes.ts";
import rateLimitRoutes from "./rate-limit/routes.ts";
import { openRateLimitStore } from "./rate-limit-store.ts";
import { RateLimits } from "./rate-limits.ts";
import revocationRoutes from "./revocations/routes.ts";
import type { Services } from "./services.ts";
import { routeWithoutApiPrefix } from "./urls.ts";
import userRoutes from "./users/routes.ts";
import writeVisibility from "./write-visibility.ts";

declare module "fastify" {
  interface FastifyInstance {
    services: Services;
    /** Every route registered, HEAD aside (Fastify adds one per GET): /openapi.json must describe them all. */
    registeredRoutes: readonly { method: string; url: string }[];
  }
}

export interface BuildOptions {
  /** Use this open database instead of opening the configured one (the caller closes it). */
  db?: Db;
  /** Where log lines go (Default: standard output); tests read them to prove no secret is logged. */
  logStream?: { write(line: string): void };
}

export async function buildApp(config: Readonly<Config>, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(config.tls
      ? { https: { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) } }
      : {}),
    // Typed as Fastify's base logger: a pino Logger type would change FastifyInstance's type parameter.
    loggerInstance: createLogger(
      config,
      options.logStream ? { destination: options.logStream } : {},
    ) as FastifyBaseLogger,
    genReqId: () => newRequestId(),
    rewriteUrl: (raw) => routeWithoutApiPrefix(raw),
    requestIdHeader: false,
    // Errors Fastify raises before routing (a malformed URL) get GitHub's shape too.
    frameworkErrors: (error, request, reply) => {
      const apiError = error.code === "FST_ERR_BAD_URL" ? Errors.notFound() : Errors.clientError(400);
      reply.header("x-github-request-id", request.id);
      void renderError(apiError, request, reply);
    },
    clientErrorHandler(error, socket) {
      if ((error as NodeJS.ErrnoException).code === "ECONNRESET" || socket.destroyed) return;
      if (socket.writable) socket.write(protocolErrorResponse(error, newRequestId()));
      socket.destroy(error);
    },
    bodyLimit: 1024 * 1024,
    // One line per request only when asked for (debug/trace); info keeps start-up and job lines readable.
    logController: new LogController({
      disableRequestLogging: !(config.logLevel === "debug" || config.logLevel === "trace"),
    }),
  });
  const registeredRoutes: { method: string; url: string }[] = [];
  app.decorate("registeredRoutes", registeredRoutes);
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat())
      if (method !== "HEAD") registeredRoutes.push({ method, url: route.url });
  });

  const ownsDb = options.db === undefined;
  const db = options.db ?? (await openDatabase(config.database, app.log));
  try {
    await migrate(db);
    const clock = new Clock(await readClockOffset(db));
    // `serve --clock` (and startCredauth's): the clock set before anything is loaded or served.
    // real time: the offset that makes the clock read the asked time now.
    if (config.clockStartMs !== null) await setClockOffset(db, clock, config.clockStartMs - Date.now());
    // Another process that moves the clock tells this one (PostgreSQL), before its move is answered.
    await db.startReadCache(app.log, (offsetMs) => clock.adopt(offsetMs));
    clock.adopt(await readClockOffset(db)); // a move while this process was joining
    const metrics = createMetrics(db);
    const secrets = openSecretBox(config.secretsKey);
    const jobs = await startJobs(db, config.database, config.jobs, app.log, {
      work: config.runWorker,
      observer: observeRevocations(metrics),
      notifications: { transports: transportsFor(config.mail, config), secrets, publicUrl: config.publicUrl },
    });
    const services: Services = {
      config,
      db,
      reads: cachedReads(db, (error) => app.log.warn({ err: error }, "a credential's last use was not recorded")),
      bodies: exactBodies(db),
      boss: jobs.boss,
      rateLimits: new RateLimits(
        config.rateLimit,
        clock,
        (resource, limit) => metrics.rateLimitRefusals.inc({ resource, limit }),
        await openRateLimitStore(config.rateLimit === "off" ? { kind: "memory" } : config.rateLimitStore, app.log),
      ),
      clock,
      metrics,
      secrets,
      harness: new HarnessState(),
    };
    app.decorate("services", services);
    // Runs after the server stopped accepting and in-flight requests finished (Fastify's close).
    app.addHook("onClose", async () => {
      await services.reads.accessesRecorded();
      await services.rateLimits.close();
      await jobs.stop();
      if (ownsDb) await db.close();
    });
  } catch (error) {
    if (ownsDb) await db.close().catch(() => {});
    throw error;
  }

  const { rateLimits } = app.services;
  await app.register(requestMetrics, app.services.metrics);
  await app.register(writeVisibility, { db: app.services.db });
  await app.register(githubConventions, { userAgent: config.userAgent, clock: app.services.clock });
  // Faults answer before anything is read or counted for a request; the journal sees every answer.
  if (config.adminToken !== null) await app.register(harnessHooks, app.services);
  // Cookies are read only by the console (console/session.ts), not parsed on every request.
  await app.register(fastifyCookie, { hook: false });
  await app.register(authentication, {
    findPrincipal: app.services.reads.principal,
    rateLimits,
    readSession: (cookie) => readSession(app.services.db, cookie),
    findApp: (issuer) => findAppByIssuer(app.services.db, issuer),
    clock: app.services.clock,
  });
  installErrorHandling(app, rateLimits);
  await app.register(conditionalRequests);
  await app.register(enterpriseCredentialAuthorizationRoutes, app.services);
  await app.register(organizationCredentialAuthorizationRoutes, app.services);
  await app.register(auditLogRoutes, app.services);
  await app.register(userRoutes, app.services);
  await app.register(organizationRoutes, app.services);
  await app.register(rateLimitRoutes, app.services);
  await app.register(credentialRoutes, app.services);
  await app.register(appRoutes, app.services);
  await app.register(applicationRoutes, app.services);
  await app.register(personalAccessTokenRoutes, app.services);
  await app.register(revocationRoutes, app.services);
  await app.register(healthRoutes, app.services);
  await app.register(adminRoutes, app.services);
  await app.register(harnessRoutes, app.services);
  await app.register(metricsRoutes, app.services);
  await app.register(openApiRoutes, app.services);
  await app.register(consoleRoutes, app.services);
  return app;
}
