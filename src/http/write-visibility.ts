// A response to a request that wrote leaves only once every serving process has seen the write
// (store/cache-coherence.ts): after a revocation's 202, no credauth process answers a read from a
// cache that predates it. Safe methods write nothing a cache holds (a credential's last-use time
// is not cached), so they never wait.
import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { Db } from "../store/db.ts";
import { DatabaseUnavailableError } from "../store/db.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const writesAtStart = new WeakMap<FastifyRequest, number>();

async function writeVisibility(app: FastifyInstance, { db }: { db: Db }) {
  app.addHook("onRequest", async (request) => {
    if (!SAFE_METHODS.has(request.method)) writesAtStart.set(request, db.writesCommitted());
  });
  app.addHook("onSend", async (request, _reply, payload) => {
    const before = writesAtStart.get(request);
    if (before === undefined || db.writesCommitted() === before) return payload;
    try {
      await db.awaitWritesSeen();
    } catch (error) {
      // What committed stays committed; the caller is told to try again rather than told it is done.
      throw new DatabaseUnavailableError(error);
    }
    return payload;
  });
}

export default fp(writeVisibility, { name: "write-visibility" });
