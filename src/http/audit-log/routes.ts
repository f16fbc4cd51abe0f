// GET /enterprises/{enterprise}/audit-log and GET /orgs/{org}/audit-log: GitHub's event shape,
// newest first by default, `phrase` search, cursor pagination (`after`/`before`) with a Link header.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { parsePhrase } from "../../domain/audit-phrase.ts";
import { mayReadEnterpriseAuditLog } from "../../domain/policies.ts";
import { operationOfAction } from "../../domain/revocation.ts";
import { Errors } from "../../errors.ts";
import { type AuditEventRow, listAuditEvents } from "../../store/audit.ts";
import { operationAccess, requirePrincipal } from "../authentication.ts";
import { enforce } from "../authorization.ts";
import { authorizeOrganizationOwner } from "../organization-access.ts";
import { parsePagination } from "../pagination.ts";
import type { Services } from "../services.ts";
import { apiBaseUrl } from "../urls.ts";

type Query = Record<string, string | undefined>;

export function presentAuditEvent(row: AuditEventRow) {
  const at = row.created_at.getTime();
  const event: Record<string, unknown> = { ...row.data };
  const set = (key: string, value: unknown) => {
    if (value !== null && value !== undefined) event[key] = value;
  };
  set("@timestamp", at);
  set("created_at", at);
  set("_document_id", row.document_id);
  set("action", row.action);
  set("operation_type", operationOfAction(row.action));
  set("actor", row.actor_login);
  set("actor_id", row.actor_id);
  set("user", row.user_login);
  set("user_id", row.user_id);
  set("org", row.org_login);
  set("org_id", row.organization_id);
  set("business", row.business_slug);
  set("business_id", row.enterprise_id);
  return event;
}

const encodeCursor = (id: number) => Buffer.from(`credauth:${id}`).toString("base64url");

function decodeCursor(name: "after" | "before", raw: string | undefined): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  const match = /^credauth:([1-9]\d{0,15})$/.exec(Buffer.from(raw, "base64url").toString("utf8"));
  if (!match)
    throw Errors.invalidRequest(`For 'properties/${name}', ${JSON.stringify(raw)} is not a cursor from a Link header.`);
  return Number(match[1]);
}

async function auditLogPage(
  services: Services,
  request: FastifyRequest<{ Querystring: Query }>,
  owner: { enterpriseId: number } | { organizationId: number },
  allowPageNumbers: boolean,
) {
  const query = request.query;
  const phrase = parsePhrase(query.phrase);
  if (!phrase.ok) throw Errors.invalidRequest(`For 'properties/phrase', ${phrase.problem}.`);
  const order = query.order ?? "desc";
  if (order !== "asc" && order !== "desc")
    throw Errors.invalidRequest(`For 'properties/order', ${JSON.stringify(order)} is not one of desc, asc.`);
  const include = query.include ?? "web";
  if (!["web", "git", "all"].includes(include))
    throw Errors.invalidRequest(`For 'properties/include', ${JSON.stringify(include)} is not one of web, git, all.`);
  const { perPage, page } = parsePagination(allowPageNumbers ? query : { per_page: query.per_page });
  const afterId = decodeCursor("after", query.after);
  const beforeId = decodeCursor("before", query.before);
  if (afterId !== undefined && beforeId !== undefined)
    throw Errors.invalidRequest("Use either 'after' or 'before', not both.");
  // credauth records web events only; `include=git` has none.
  if (include === "git") return { events: [], link: undefined };

  const rows = await listAuditEvents(services.db, owner, phrase.filter, {
    order,
    limit: perPage + 1,
    ...(afterId !== undefined ? { afterId } : {}),
    ...(beforeId !== undefined ? { beforeId } : {}),
    ...(afterId === undefined && beforeId === undefined ? { offset: (page - 1) * perPage } : {}),
  });
  // One row more than asked tells whether there is more in the direction read.
  const more = rows.length > perPage;
  const pageRows = beforeId !== undefined ? rows.slice(more ? 1 : 0) : rows.slice(0, perPage);
  const hasNext = beforeId !== undefined ? true : more;
  const hasPrev = beforeId !== undefined ? more : afterId !== undefined || page > 1;

  const link = (cursor: { after?: number; before?: number }, rel: string) => {
    const url = new URL(`${apiBaseUrl(request)}${request.url}`);
    for (const key of ["after", "before", "page"]) url.searchParams.delete(key);
    url.searchParams.set("per_page", String(perPage));
    if (cursor.after !== undefined) url.searchParams.set("after", encodeCursor(cursor.after));
    if (cursor.before !== undefined) url.searchParams.set("before", encodeCursor(cursor.before));
    return `<${url.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  const first = pageRows[0];
  const last = pageRows.at(-1);
  if (hasNext && last) links.push(link({ after: last.id }, "next"));
  if (hasPrev && first) links.push(link({ before: first.id }, "prev"));
  if (hasPrev) links.push(link({}, "first"));
  return { events: pageRows.map(presentAuditEvent), link: links.length > 0 ? links.join(", ") : undefined };
}

export default async function auditLogRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.get<{ Params: { enterprise: string }; Querystring: Query }>(
    "/enterprises/:enterprise/audit-log",
    {
      config: {
        operation: "enterprise-admin/get-audit-log",
        conditional: "github",
        rateLimitResource: "audit_log",
        documentationUrl: "https://docs.github.com/rest/enterprise-admin/audit-log#get-the-audit-log-for-an-enterprise",
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const found = await services.reads.enterpriseWithRelation(request.params.enterprise, principal.user.id);
      const enterprise = found?.enterprise ?? null;
      const relation = found?.relation ?? null;
      enforce(
        mayReadEnterpriseAuditLog(
          principal,
          operationAccess(request),
          enterprise?.slug ?? request.params.enterprise,
          relation,
        ),
        principal,
      );
      return services.bodies(request, reply, String(principal.credential.id), async () => {
        const { events, link } = await auditLogPage(services, request, { enterpriseId: enterprise!.id }, true);
        return { body: events, headers: { link } };
      });
    },
  );

  app.get<{ Params: { org: string }; Querystring: Query }>(
    "/orgs/:org/audit-log",
    {
      config: {
        operation: "orgs/get-audit-log",
        conditional: "github",
        rateLimitResource: "audit_log",
        documentationUrl: "https://docs.github.com/rest/orgs/orgs#get-the-audit-log-for-an-organization",
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const organization = await authorizeOrganizationOwner(
        services.reads,
        services.config.webUrl,
        principal,
        request.params.org,
        operationAccess(request),
      );
      return services.bodies(request, reply, String(principal.credential.id), async () => {
        const { events, link } = await auditLogPage(services, request, { organizationId: organization.id }, false);
        return { body: events, headers: { link } };
      });
    },
  );
}
