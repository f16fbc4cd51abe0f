// The test harness over HTTP, under /_credauth/admin with the site-admin token: reset to the state
// at start-up, named snapshots, the one clock (domain/clock.ts) moved forward only, fault rules and
// the request journal (kept in this process: harness/state.ts, applied by harness/hooks.ts).
// Without a configured admin token none of these routes exist (404), as for the rest of the admin API.
import type { FastifyInstance } from "fastify";
import { parseDuration } from "../../domain/durations.ts";
import { type FaultRule, parseFaultRule, pathMatches } from "../../domain/faults.ts";
import { Errors } from "../../errors.ts";
import { bringScheduledJobsForward, writeClockOffset } from "../../store/clock.ts";
import {
  deleteSnapshot,
  listSnapshots,
  type RestoreOutcome,
  restoreSnapshot,
  SNAPSHOT_NAME,
  START_SNAPSHOT,
  saveSnapshot,
} from "../../store/snapshots.ts";
import { describeUserCredentials, findUserByLogin } from "../../store/users.ts";
import type { Services } from "../services.ts";
import { siteAdminGuard } from "../site-admin.ts";
import { ADMIN_PREFIX } from "../urls.ts";

/** A body that must be a JSON object, as the admin API reads every body. */
function objectBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null || typeof body !== "object" || Array.isArray(body))
    throw Errors.bodyNotObject();
  return body as Record<string, unknown>;
}

const iso = (time: Date | string | null) => (time === null ? null : new Date(time).toISOString());

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

  /**
   * Restores a snapshot, then what lives outside the database as it was at start: this process's
   * clock, the rate-limit counts, no fault rules, an empty journal.
   */
  const restore = async (name: string): Promise<RestoreOutcome> => {
    // A last use recorded before the reset must not land in the restored world.
    await services.reads.accessesRecorded();
    const { outcome, clockOffsetMs } = await db.transaction((tx) => restoreSnapshot(tx, name));
    if (outcome !== "restored") return outcome;
    clock.adopt(clockOffsetMs);
    await services.rateLimits.reset();
    services.harness.clearFaults();
    services.harness.clearJournal();
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
    await services.reads.accessesRecorded(); // the snapshot holds every last use so far
    const { takenAt } = await db.transaction((tx) => saveSnapshot(tx, name));
    return reply.code(201).send({ name, taken_at: takenAt.toISOString() });
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
    const movedMs = offsetMs - clock.offsetMs;
    // The clock and what the queue scheduled move together, or neither does.
    await db.transaction(async (tx) => {
      await bringScheduledJobsForward(tx, movedMs);
      await writeClockOffset(tx, offsetMs);
    });
    clock.adopt(Math.round(offsetMs));
    await services.rateLimits.clockMoved(movedMs);
    return clockState();
  });

  const presentRule = (rule: FaultRule) => ({
    id: rule.id,
    method: rule.method,
    path: rule.path,
    status: rule.status,
    delay_ms: rule.delayMs,
    times: rule.timesLeft,
    probability: rule.probability,
  });

  app.post(`${ADMIN_PREFIX}/faults`, { config }, async (request, reply) => {
    const parsed = parseFaultRule(objectBody(request.body));
    if ("problem" in parsed) throw Errors.invalidRequest(`For 'properties/${parsed.field}', ${parsed.problem}.`);
    return reply.code(201).send(presentRule(services.harness.addFault(parsed)));
  });

  app.get(`${ADMIN_PREFIX}/faults`, { config }, async () => services.harness.faults().map(presentRule));

  app.delete(`${ADMIN_PREFIX}/faults`, { config }, async (_request, reply) => {
    services.harness.clearFaults();
    return reply.code(204).send();
  });

  app.delete<{ Params: { id: string } }>(`${ADMIN_PREFIX}/faults/:id`, { config }, async (request, reply) => {
    const id = /^\d{1,9}$/.test(request.params.id) ? Number(request.params.id) : Number.NaN;
    if (!services.harness.removeFault(id)) throw Errors.notFound();
    return reply.code(204).send();
  });

  app.get<{ Querystring: Record<string, string | undefined> }>(
    `${ADMIN_PREFIX}/requests`,
    { config },
    async (request) => {
      const { method, path, status, since_id: sinceId } = request.query;
      const whole = (name: string, value: string | undefined) => {
        if (value === undefined) return undefined;
        if (!/^\d{1,15}$/.test(value))
          throw Errors.invalidRequest(`For 'properties/${name}', ${JSON.stringify(value)} is not a whole number.`);
        return Number(value);
      };
      return services.harness.requests(
        {
          ...(method === undefined ? {} : { method: method.toUpperCase() }),
          ...(path === undefined ? {} : { path }),
          ...(status === undefined ? {} : { status: whole("status", status) }),
          ...(sinceId === undefined ? {} : { sinceId: whole("since_id", sinceId) }),
        },
        pathMatches,
      );
    },
  );

  app.delete(`${ADMIN_PREFIX}/requests`, { config }, async (_request, reply) => {
    services.harness.clearJournal();
    return reply.code(204).send();
  });

  app.get<{ Params: { login: string } }>(`${ADMIN_PREFIX}/users/:login`, { config }, async (request) => {
    const user = await findUserByLogin(db, request.params.login);
    if (user === null) throw Errors.notFound();
    await services.reads.accessesRecorded(); // the answer shows last uses
    const credentials = await describeUserCredentials(db, user.id);
    return {
      login: user.login,
      credentials: credentials.map((c) => ({
        ...c,
        created_at: c.created_at.toISOString(),
        expires_at: c.expires_at?.toISOString() ?? null,
        destroyed_at: c.destroyed_at?.toISOString() ?? null,
        // Aggregated as JSON, the times come as PostgreSQL writes them: made ISO like every other.
        authorizations: c.authorizations.map((a) => ({
          ...a,
          credential_authorized_at: iso(a.credential_authorized_at)!,
          credential_accessed_at: iso(a.credential_accessed_at),
          revoked_at: iso(a.revoked_at),
        })),
      })),
    };
  });
}
