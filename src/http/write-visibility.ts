// A response to a request that wrote leaves only once every serving process has seen the write
// (store/cache-coherence.ts): after a revocation's 202, no credauth process answers a read from a
// cache that predates it. Safe methods write nothing a cache holds (a credential's last-use time
// is not cached), so their routes do not carry these hooks at all.
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from "fastify";
import fp from "fastify-plugin";
import { DatabaseUnavailableError, type Db } from "../store/db.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const writesAtStart = new WeakMap<FastifyRequest, number>();

async function writeVisibility(app: FastifyInstance, { db }: { db: Db }) {
  const onRequest: onRequestAsyncHookHandler = async (request) => {
    writesAtStart.set(request, db.writesCommitted());
  };
  const onSend = async (request: FastifyRequest, _reply: FastifyReply, payload: unknown) => {
    const before = writesAtStart.get(request);
    if (before === undefined || db.writesCommitted() === before) return payload;
    try {
      await db.awaitWritesSeen();
    } catch (error) {
      // What committed stays committed; the caller is told to try again rather than told it is done.
      throw new DatabaseUnavailableError(error);
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
