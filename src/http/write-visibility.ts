// A response to a request that wrote leaves only once every serving process has seen the write
// (store/cache-coherence.ts): after a revocation's 202, no credauth process answers a read from a
// cache that predates it. Safe methods write nothing a cache holds (a credential's last-use time
// is not cached), so their routes do not carry these hooks at all.
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from "fastify";
import fp from "fastify-plugin";
import { Errors } from "../errors.ts";
import type { Db } from "../store/db.ts";
import { DATABASE_RETRY_AFTER_SECONDS } from "./error-handler.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const writesAtStart = new WeakMap<FastifyRequest, number>();

async function writeVisibility(app: FastifyInstance, { db }: { db: Db }) {
  const onRequest: onRequestAsyncHookHandler = async (request) => {
    writesAtStart.set(request, db.writesCommitted());
  };
  const onSend = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const before = writesAtStart.get(request);
    if (before === undefined || db.writesCommitted() === before) return payload;
    try {
      await db.awaitWritesSeen();
    } catch (error) {
      // What committed stays committed (a revocation runs): the caller is told so, and where it
      // is, so that a retry finds it rather than makes a second one.
      request.log.warn({ err: error }, "a committed change was not confirmed by every serving process");
      const location = reply.getHeader("location");
      throw Errors.committedNotConfirmed(
        DATABASE_RETRY_AFTER_SECONDS,
        reply.statusCode < 400 && typeof location === "string" ? location : null,
      );
    }
    return payload;
  };
  app.addHook("onRoute", (route) => {
    if ([route.method].flat().every((method) => SAFE_METHODS.has(method))) return;
    route.onRequest = [onRequest, ...[route.onRequest ?? []].flat()];
    route.onSend = [...[route.onSend ?? []].flat(), onSend];
  });
}

export default fp(writeVisibility, { name: "write-visibility" });
