// credauth's extension for the jobs behind the 202s: GET /_credauth/revocations/{id} (state,
// scope, requester, timestamps and exact counts), GET /_credauth/revocations (the jobs a caller
// could have requested, filtered and paged as GitHub pages), and GET …/{id}/events (the job's
// changes as server-sent events until it settles). Only those who could have requested a job see it.

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { factsOf } from "../../domain/credential-types.ts";
import type { Principal } from "../../domain/model.ts";
import { mayReadRevocation, visibleRevocationScopes } from "../../domain/policies.ts";
import { revocationResource } from "../../domain/revocation.ts";
import { redactedUrl } from "../../domain/webhook-urls.ts";
import { ApiError, Errors } from "../../errors.ts";
import { findEnterpriseBySlug, findEnterpriseRelation } from "../../store/enterprises.ts";
import { listRevocationNotifications, type NotificationLogEntry } from "../../store/notifications.ts";
import {
  findManagedScopes,
  findRevocation,
  findScopeDetails,
  listRevocations,
  type RevocationRecord,
  type RevocationState,
} from "../../store/revocation-requests.ts";
import { currentPrincipal, requirePrincipal } from "../authentication.ts";
import { enforce } from "../authorization.ts";
import { readSession } from "../console/session.ts";
import { errorBody } from "../error-handler.ts";
import { paginationLinks, parsePagination } from "../pagination.ts";
import type { Services } from "../services.ts";
import { apiBaseUrl, EXTENSION_PREFIX, revocationUrl } from "../urls.ts";

const STATES: readonly RevocationState[] = ["queued", "running", "succeeded", "failed"];
/** How often a followed job is read again; and how often a quiet stream says it is alive. */
const FOLLOW_INTERVAL_MS = 250;
const KEEPALIVE_MS = 15_000;

export function presentRevocation(request: FastifyRequest, revocation: RevocationRecord) {
  return revocationResource(revocation, revocationUrl(request, revocation.id));
}

function presentNotification(entry: NotificationLogEntry) {
  return {
    id: entry.id,
    channel: entry.channel,
    recipient:
      entry.channel === "email"
        ? { login: entry.recipientLogin }
        : { webhook_id: entry.webhookId, url: entry.url === null ? null : redactedUrl(entry.url) },
    delivery_id: entry.deliveryId,
    state: entry.state,
    skipped_reason: entry.skippedReason,
    created_at: entry.createdAt.toISOString(),
    delivered_at: entry.deliveredAt?.toISOString() ?? null,
    attempts: entry.attempts.map((attempt) => ({
      at: attempt.at.toISOString(),
      delivered: attempt.delivered,
      status_code: attempt.statusCode,
      error: attempt.error,
      duration_ms: attempt.durationMs,
    })),
  };
}

const settled = (state: RevocationState) => state === "succeeded" || state === "failed";

export default async function revocationRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const { db, reads } = services;

  /** The job, once the caller is found to be allowed to read it; 404 for anyone else. */
  async function readableRevocation(
    request: FastifyRequest<{ Params: { revocation_id: string } }>,
    principal: Principal,
  ) {
    const id = /^[1-9]\d{0,15}$/.test(request.params.revocation_id) ? Number(request.params.revocation_id) : null;
    const revocation = id === null ? null : await findRevocation(db, id);
    const enterpriseRelation = revocation
      ? await findEnterpriseRelation(db, revocation.enterpriseId, principal.user.id)
      : null;
    const organizationRelation =
      revocation?.organizationId != null
        ? await reads.organizationRelation(revocation.organizationId, principal.user.id)
        : null;
    const job = {
      enterpriseSlug: revocation?.enterpriseSlug ?? "",
      organizationLogin: revocation?.organizationLogin ?? null,
    };
    enforce(mayReadRevocation(principal, job, enterpriseRelation, organizationRelation), principal);
    if (!revocation) throw Errors.notFound();
    return revocation;
  }

  app.get<{ Params: { revocation_id: string } }>(
    `${EXTENSION_PREFIX}/revocations/:revocation_id`,
    { config: { operation: "credauth/get-revocation", conditional: "extension" } },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      // Who may read a job depends on the job: the rule runs inside, on every miss; a refusal is not kept.
      return services.bodies(request, reply, String(principal.credential.id), async () => ({
        body: presentRevocation(request, await readableRevocation(request, principal)),
      }));
    },
  );

  app.get<{ Querystring: Record<string, string | undefined> }>(
    `${EXTENSION_PREFIX}/revocations`,
    { config: { operation: "credauth/list-revocations", conditional: "extension" } },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const state = request.query.state ?? null;
      if (state !== null && !(STATES as readonly string[]).includes(state))
        throw Errors.invalidRequest(
          `For 'properties/state', ${JSON.stringify(state)} is not one of ${STATES.join(", ")}.`,
        );
      const pagination = parsePagination(request.query);
      return services.bodies(request, reply, String(principal.credential.id), async () => {
        const visible = visibleRevocationScopes(principal, await candidateScopes(principal));
        const { records, total } = await listRevocations(
          db,
          visible,
          {
            state: state as RevocationState | null,
            enterpriseSlug: request.query.enterprise || null,
            organizationLogin: request.query.organization || null,
          },
          { limit: pagination.perPage, offset: (pagination.page - 1) * pagination.perPage },
        );
        return {
          body: records.map((record) => presentRevocation(request, record)),
          headers: { link: paginationLinks(`${apiBaseUrl(request)}${request.url}`, pagination, total) },
        };
      });
    },
  );

  // The delivery log: who the job's settling notified, and each attempt. Email addresses are not
  // shown (the login is); a webhook's URL is, without userinfo or query, which may carry a credential.
  app.get<{ Params: { revocation_id: string } }>(
    `${EXTENSION_PREFIX}/revocations/:revocation_id/notifications`,
    { config: { operation: "credauth/list-revocation-notifications", conditional: "extension" } },
    async (request) => {
      const revocation = await readableRevocation(request, requirePrincipal(request));
      return (await listRevocationNotifications(db, revocation.id)).map(presentNotification);
    },
  );

  // Where the caller may revoke and look: the console's home (and a script's list of what it manages).
  app.get(
    `${EXTENSION_PREFIX}/scopes`,
    { config: { operation: "credauth/list-scopes", conditional: "extension" } },
    async (request) => {
      const principal = requirePrincipal(request);
      const visible = visibleRevocationScopes(principal, await candidateScopes(principal));
      const details = await findScopeDetails(db, visible.enterpriseIds, visible.organizationIds);
      return {
        enterprises: details.enterprises.map((e) => ({ slug: e.slug, name: e.name, emu: e.emu })),
        organizations: details.organizations.map((o) => ({ login: o.login, enterprise: o.enterpriseSlug })),
      };
    },
  );

  /** Where the caller may look: their roles' enterprises and organizations, or their App's installation. */
  async function candidateScopes(principal: Principal) {
    if (factsOf(principal.credential.type).accessKind !== "app_installation")
      return findManagedScopes(db, principal.user.id);
    const account = principal.credential.resourceOwner ?? "";
    const enterprise = await findEnterpriseBySlug(db, account);
    const organization = await reads.organizationByLogin(account);
    return {
      enterprises: enterprise ? [{ id: enterprise.id, slug: enterprise.slug }] : [],
      organizations: organization ? [{ id: organization.id, login: organization.login }] : [],
    };
  }

  app.get<{ Params: { revocation_id: string } }>(
    `${EXTENSION_PREFIX}/revocations/:revocation_id/events`,
    { config: { operation: "credauth/follow-revocation" } },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const first = await readableRevocation(request, principal);
      follow(request, reply, first);
    },
  );

  /**
   * The job as the caller may still see it, or the error that ends the stream: each tick asks
   * again who the caller is and whether they may read the job, so a token revoked (or a session
   * signed out) after the stream opened stops receiving.
   */
  async function stillReadable(request: FastifyRequest<{ Params: { revocation_id: string } }>) {
    const principal = await currentPrincipal(request, {
      findPrincipal: reads.principal,
      readSession: (cookie) => readSession(db, cookie),
      clock: services.clock,
    });
    if (principal === null) return Errors.badCredentials();
    try {
      return await readableRevocation(request, principal);
    } catch (error) {
      if (error instanceof ApiError) return error;
      throw error;
    }
  }

  /**
   * Server-sent events: the job as it stands now, then each time it changes, until it settles
   * (the stream then ends) or the client goes. A comment line now and then keeps proxies from
   * closing a quiet stream.
   */
  function follow(
    request: FastifyRequest<{ Params: { revocation_id: string } }>,
    reply: FastifyReply,
    first: RevocationRecord,
  ) {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    let last = "";
    let lastWrite = performance.now();
    let stopped = false;
    const send = (record: RevocationRecord) => {
      const data = JSON.stringify(presentRevocation(request, record));
      if (data === last) return;
      last = data;
      lastWrite = performance.now();
      raw.write(`event: revocation\nid: ${record.state}\ndata: ${data}\n\n`);
    };
    const stop = () => {
      stopped = true;
      clearInterval(timer);
    };
    const finish = () => {
      stop();
      raw.end();
    };
    const tick = async () => {
      if (stopped) return;
      try {
        const record = await stillReadable(request);
        if (stopped) return;
        if (record instanceof ApiError) {
          // The caller lost the right to see it: the stream ends with the error a request would get.
          raw.write(`event: error\ndata: ${JSON.stringify(errorBody(record))}\n\n`);
          return finish();
        }
        send(record);
        if (settled(record.state)) return finish();
        if (performance.now() - lastWrite > KEEPALIVE_MS) {
          lastWrite = performance.now();
          raw.write(": still running\n\n");
        }
      } catch (error) {
        // The database went away mid-stream: end it; the client follows again when it is back.
        request.log.warn({ err: error }, "following a revocation stopped");
        finish();
      }
    };
    const timer = setInterval(() => void tick(), FOLLOW_INTERVAL_MS);
    raw.on("close", stop);
    send(first);
    if (settled(first.state)) finish();
  }
}
