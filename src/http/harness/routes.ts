// The test harness over HTTP, under /_credauth/admin with the site-admin token: reset to the state
// at start-up, named snapshots, and the one clock (domain/clock.ts), moved forward only. Without a
// configured admin token none of these routes exist (404), as for the rest of the admin API.
import type { FastifyInstance } from "fastify";
import { parseDuration } from "../../domain/durations.ts";
import { Errors } from "../../errors.ts";
import { setClockOffset } from "../../store/clock.ts";
import {
  deleteSnapshot,
  listSnapshots,
  type RestoreOutcome,
  restoreSnapshot,
  SNAPSHOT_NAME,
  START_SNAPSHOT,
  saveSnapshot,
} from "../../store/snapshots.ts";
import type { Services } from "../services.ts";
import { siteAdminGuard } from "../site-admin.ts";
import { ADMIN_PREFIX } from "../urls.ts";

/** A body that must be a JSON object, as the admin API reads every body. */
function objectBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null || typeof body !== "object" || Array.isArray(body))
    throw Errors.bodyNotObject();
  return body as Record<string, unknown>;
}

function snapshotName(name: string): string {
  if (!SNAPSHOT_NAME.test(name)) throw Errors.notFound();
  return name;
}

export default async function harnessRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const adminToken = services.config.adminToken;
  if (adminToken === null) return;
  const { db, clock } = services;
  app.addHook("onRequest", siteAdminGuard(adminToken, services.rateLimits));
  const config = { siteAdmin: true, rateLimitResource: "none" } as const;

  /** Restores a snapshot, then what lives outside the database: this process's clock, the rate-limit counts. */
  const restore = async (name: string): Promise<RestoreOutcome> => {
    const { outcome, clockOffsetMs } = await db.transaction((tx) => restoreSnapshot(tx, name));
    if (outcome !== "restored") return outcome;
    clock.adopt(clockOffsetMs);
    await services.rateLimits.reset();
    return outcome;
  };

  app.post(`${ADMIN_PREFIX}/reset`, { config }, async (_request, reply) => {
    const outcome = await restore(START_SNAPSHOT);
    if (outcome === "unknown") throw Errors.noStartState();
    if (outcome === "other-schema-version") throw Errors.snapshotOfOtherSchema();
    return reply.code(204).send();
  });

  app.get(`${ADMIN_PREFIX}/snapshots`, { config }, async () =>
    (await listSnapshots(db)).map((s) => ({ name: s.name, taken_at: s.takenAt.toISOString() })),
  );

  app.put<{ Params: { name: string } }>(`${ADMIN_PREFIX}/snapshots/:name`, { config }, async (request, reply) => {
    const name = request.params.name;
    if (!SNAPSHOT_NAME.test(name))
      throw Errors.invalidRequest(
        `For 'properties/name', ${JSON.stringify(name)} is not a snapshot name (letters, digits, '.', '_' and '-', at most 64).`,
      );
    await db.transaction((tx) => saveSnapshot(tx, name));
    const saved = (await listSnapshots(db)).find((s) => s.name === name)!;
    return reply.code(201).send({ name, taken_at: saved.takenAt.toISOString() });
  });

  app.post<{ Params: { name: string } }>(
    `${ADMIN_PREFIX}/snapshots/:name/restore`,
    { config },
    async (request, reply) => {
      const outcome = await restore(snapshotName(request.params.name));
      if (outcome === "unknown") throw Errors.notFound();
      if (outcome === "other-schema-version") throw Errors.snapshotOfOtherSchema();
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: { name: string } }>(`${ADMIN_PREFIX}/snapshots/:name`, { config }, async (request, reply) => {
    const name = snapshotName(request.params.name);
    if (!(await db.transaction((tx) => deleteSnapshot(tx, name)))) throw Errors.notFound();
    return reply.code(204).send();
  });

  const clockState = () => ({ now: clock.now().toISOString(), offset_seconds: Math.round(clock.offsetMs / 1000) });

  app.get(`${ADMIN_PREFIX}/clock`, { config }, async () => clockState());

  app.post(`${ADMIN_PREFIX}/clock`, { config }, async (request) => {
    const body = objectBody(request.body);
    const { advance, set } = body;
    if ((advance === undefined) === (set === undefined))
      throw Errors.invalidRequest(`Give exactly one of "advance" (a duration such as "90d") and "set" (an ISO time).`);
    let offsetMs: number;
    if (advance !== undefined) {
      const ms = typeof advance === "string" ? parseDuration(advance) : null;
      if (ms === null)
        throw Errors.invalidRequest(
          `For 'properties/advance', ${JSON.stringify(advance)} is not a duration: a number and s, m, h or d, such as "90d".`,
        );
      offsetMs = clock.offsetMs + ms;
    } else {
      const at = typeof set === "string" && /^\d{4}-\d\d-\d\dT/.test(set) ? Date.parse(set) : Number.NaN;
      if (Number.isNaN(at))
        throw Errors.invalidRequest(
          `For 'properties/set', ${JSON.stringify(set)} is not an ISO 8601 time such as 2027-01-01T00:00:00Z.`,
        );
      const nowMs = clock.nowMs();
      if (at < nowMs)
        throw Errors.invalidRequest(
          `For 'properties/set', the clock moves forward only: ${set} is before its now, ${new Date(nowMs).toISOString()}.`,
        );
      offsetMs = clock.offsetMs + (at - nowMs);
    }
    await setClockOffset(db, clock, offsetMs);
    return clockState();
  });
}
