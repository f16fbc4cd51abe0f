// An organization governing the fine-grained PATs made for it — "only GitHub Apps can use this
// endpoint": an App installed on the organization lists the approved tokens and revokes their
// access, and lists and reviews the requests not yet approved. A revoked, pending or denied token
// reaches nothing of the organization (store/principals.ts).
import type { FastifyInstance, FastifyRequest } from "fastify";
import { permissionCategory } from "../../domain/github-vocabulary.ts";
import { Errors } from "../../errors.ts";
import { changePatStanding, listPatGrants, type PatGrantFilter, type PatGrantRow } from "../../store/pat-governance.ts";
import { operationAccess, requirePrincipal } from "../authentication.ts";
import { authorizeOrganizationOwner } from "../organization-access.ts";
import { paginationLinks, parsePagination } from "../pagination.ts";
import { githubTime, presentSimpleUser } from "../presenters.ts";
import type { Services } from "../services.ts";
import { apiBaseUrl } from "../urls.ts";

const DOCS = "https://docs.github.com/enterprise-cloud@latest/rest/orgs/personal-access-tokens";
/** GitHub's most ids in one request. */
const MAX_IDS = 100;

type Query = Record<string, string | string[] | undefined>;

/** A list parameter given as `owner[]=a&owner[]=b`, `owner=a,b` or once. */
function listParameter(query: Query, name: string, most: number): string[] | null {
  const raw = query[`${name}[]`] ?? query[name];
  if (raw === undefined) return null;
  const values = (Array.isArray(raw) ? raw : [raw]).flatMap((value) => value.split(",")).filter((v) => v !== "");
  if (values.length > most)
    throw Errors.invalidRequest(`For 'properties/${name}', ${values.length} items is more than ${most}.`);
  return values;
}

function timeParameter(query: Query, name: string): Date | null {
  const raw = query[name];
  if (raw === undefined) return null;
  const value = Array.isArray(raw) ? raw.at(-1)! : raw;
  const time = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(time))
    throw Errors.invalidRequest(`For 'properties/${name}', "${value.slice(0, 40)}" is not a date-time.`);
  return new Date(time);
}

/** The list's filters, or GitHub's 422 for one it cannot read. */
function filterOf(query: Query): PatGrantFilter & { repository: string | null } {
  const tokenIds = listParameter(query, "token_id", 50);
  if (tokenIds?.some((id) => !/^[1-9][0-9]{0,15}$/.test(id)))
    throw Errors.invalidRequest("For 'properties/token_id', each item must be a token id.");
  const permission = typeof query.permission === "string" ? query.permission : null;
  const parsedPermission = permission === null ? null : /^([a-z_]+)_(read|write|admin)$/.exec(permission);
  if (permission !== null && parsedPermission === null)
    throw Errors.invalidRequest(
      `For 'properties/permission', "${permission.slice(0, 60)}" is not a permission and level such as issues_read.`,
    );
  const direction = query.direction ?? "desc";
  if (direction !== "asc" && direction !== "desc")
    throw Errors.invalidRequest(`For 'properties/direction', ${JSON.stringify(direction)} is not one of asc, desc.`);
  const sort = query.sort ?? "created_at";
  if (sort !== "created_at")
    throw Errors.invalidRequest(`For 'properties/sort', ${JSON.stringify(sort)} is not one of created_at.`);
  return {
    owners: listParameter(query, "owner", 10),
    tokenIds: tokenIds?.map(Number) ?? null,
    lastUsedBefore: timeParameter(query, "last_used_before"),
    lastUsedAfter: timeParameter(query, "last_used_after"),
    permission: parsedPermission
      ? { name: parsedPermission[1]!, level: parsedPermission[2] as "read" | "write" | "admin" }
      : null,
    direction,
    repository: typeof query.repository === "string" ? query.repository : null,
  };
}

/** The body's `action` (one of `actions`), or GitHub's 422. */
function actionOf<A extends string>(body: Record<string, unknown>, actions: readonly A[]): A {
  const action = body.action;
  if (action === undefined) throw Errors.invalidRequest(`"action" wasn't supplied.`);
  if (typeof action !== "string" || !(actions as readonly string[]).includes(action))
    throw Errors.invalidRequest(
      `For 'properties/action', ${JSON.stringify(action)} is not one of ${actions.join(", ")}.`,
    );
  return action as A;
}

function bodyObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null || typeof body !== "object" || Array.isArray(body))
    throw Errors.bodyNotObject();
  return body as Record<string, unknown>;
}

/** The body's id list (`pat_ids`, `pat_request_ids`): 1 to 100 integers, each counted once. */
function idsOf(body: Record<string, unknown>, name: string): number[] {
  const ids = body[name];
  if (ids === undefined) throw Errors.invalidRequest(`"${name}" wasn't supplied.`);
  if (!Array.isArray(ids))
    throw Errors.invalidRequest(`For 'properties/${name}', ${JSON.stringify(ids)} is not an array.`);
  if (ids.length === 0 || ids.length > MAX_IDS)
    throw Errors.invalidRequest(`For 'properties/${name}', ${ids.length} items is not between 1 and ${MAX_IDS}.`);
  const bad = ids.findIndex((id) => !Number.isSafeInteger(id) || id < 1);
  if (bad !== -1) throw Errors.invalidRequest(`For 'items/${bad}', ${JSON.stringify(ids[bad])} is not an integer.`);
  return [...new Set(ids as number[])];
}

function reasonOf(body: Record<string, unknown>): string | null {
  const reason = body.reason;
  if (reason === undefined || reason === null) return null;
  if (typeof reason !== "string" || reason.length > 1024)
    throw Errors.invalidRequest("For 'properties/reason', the value is not a string of at most 1024 characters.");
  return reason;
}

/** A token's permissions grouped as GitHub lists them to an organization. */
function permissionsByCategory(permissions: Record<string, string>) {
  const grouped = { organization: {}, repository: {}, other: {} } as Record<string, Record<string, string>>;
  for (const [name, level] of Object.entries(permissions)) grouped[permissionCategory(name)]![name] = level;
  return grouped;
}

type StandingChange = Pick<Parameters<typeof changePatStanding>[1], "from" | "to" | "action" | "reason">;

const REVOKE_ACCESS: StandingChange = {
  from: "approved",
  to: "revoked",
  action: "personal_access_token.access_revoked",
  reason: null,
};

/** A review's change: a pending request approved or denied, with the reviewer's reason. */
function reviewOf(body: Record<string, unknown>): StandingChange {
  const approve = actionOf(body, ["approve", "deny"] as const) === "approve";
  return {
    from: "pending",
    to: approve ? "approved" : "denied",
    action: approve ? "personal_access_token.access_granted" : "personal_access_token.request_denied",
    reason: reasonOf(body),
  };
}

/** An id from the path: a positive integer, or nothing is found. */
function pathId(raw: string): number {
  if (!/^[1-9][0-9]{0,15}$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw Errors.notFound();
  return Number(raw);
}

export default async function personalAccessTokenRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const { db, reads, config } = services;

  /** The organization, once the caller is an App installed on it with the operation's permission. */
  async function governedOrganization(request: FastifyRequest<{ Params: { org: string } }>) {
    const principal = requirePrincipal(request);
    const organization = await authorizeOrganizationOwner(
      reads,
      config.webUrl,
      principal,
      request.params.org,
      operationAccess(request),
    );
    return { principal, organization };
  }

  /** GitHub's `organization-programmatic-access-grant` (or its `-request`, with `reason` and `created_at`). */
  function presentGrant(request: FastifyRequest, organization: string, row: PatGrantRow, asRequest: boolean) {
    const base = apiBaseUrl(request);
    const common = {
      id: row.id,
      owner: presentSimpleUser(base, config.webUrl, { id: row.user_id, login: row.login }),
      repository_selection: "none",
      repositories_url: `${base}/orgs/${organization}/personal-access-token${asRequest ? "-request" : ""}s/${row.id}/repositories`,
      permissions: permissionsByCategory(row.permissions),
      token_id: row.id,
      token_name: row.note ?? "",
      token_expired: row.expired,
      token_expires_at: row.expires_at && githubTime(row.expires_at),
      token_last_used_at: row.last_used_at && githubTime(row.last_used_at),
    };
    return asRequest
      ? { ...common, reason: row.reason, created_at: githubTime(row.created_at) }
      : { ...common, access_granted_at: githubTime(row.access_granted_at) };
  }

  for (const [path, operation, anchor, standing] of [
    [
      "/orgs/:org/personal-access-tokens",
      "orgs/list-pat-grants",
      "list-fine-grained-personal-access-tokens-with-access-to-organization-resources",
      "approved",
    ],
    [
      "/orgs/:org/personal-access-token-requests",
      "orgs/list-pat-grant-requests",
      "list-requests-to-access-organization-resources-with-fine-grained-personal-access-tokens",
      "pending",
    ],
  ] as const) {
    app.get<{ Params: { org: string }; Querystring: Query }>(
      path,
      { config: { operation, documentationUrl: `${DOCS}#${anchor}` } },
      async (request, reply) => {
        const { organization } = await governedOrganization(request);
        const filter = filterOf(request.query);
        const pagination = parsePagination(request.query);
        // credauth models no repositories: no token reaches the one named.
        if (filter.repository !== null) return [];
        await services.reads.accessesRecorded(); // last uses filter and show here
        const { rows, total } = await listPatGrants(db, organization.login, standing, filter, {
          limit: pagination.perPage,
          offset: (pagination.page - 1) * pagination.perPage,
        });
        const base = apiBaseUrl(request);
        const link = paginationLinks(`${base}${request.url}`, pagination, total);
        if (link) reply.header("link", link);
        return rows.map((row) => presentGrant(request, organization.login, row, standing === "pending"));
      },
    );
  }

  /** Moves these tokens' standing, all of them, or 404 and none when one is not there as `from`. */
  async function changeStanding(
    { principal, organization }: Awaited<ReturnType<typeof governedOrganization>>,
    ids: number[],
    change: StandingChange,
  ) {
    const { found } = await changePatStanding(db, {
      organizationLogin: organization.login,
      ids,
      ...change,
      actorId: principal.user.id,
      actorCredentialId: principal.credential.id,
    });
    if (found !== ids.length) throw Errors.notFound();
  }

  app.post<{ Params: { org: string } }>(
    "/orgs/:org/personal-access-tokens",
    {
      config: {
        operation: "orgs/update-pat-accesses",
        documentationUrl: `${DOCS}#update-the-access-to-organization-resources-via-fine-grained-personal-access-tokens`,
      },
    },
    async (request, reply) => {
      const governed = await governedOrganization(request);
      const body = bodyObject(request.body);
      actionOf(body, ["revoke"] as const);
      await changeStanding(governed, idsOf(body, "pat_ids"), REVOKE_ACCESS);
      return reply.code(202).send({});
    },
  );

  app.post<{ Params: { org: string; pat_id: string } }>(
    "/orgs/:org/personal-access-tokens/:pat_id",
    {
      config: {
        operation: "orgs/update-pat-access",
        documentationUrl: `${DOCS}#update-the-access-a-fine-grained-personal-access-token-has-to-organization-resources`,
      },
    },
    async (request, reply) => {
      const governed = await governedOrganization(request);
      const id = pathId(request.params.pat_id);
      actionOf(bodyObject(request.body), ["revoke"] as const);
      await changeStanding(governed, [id], REVOKE_ACCESS);
      return reply.code(204).send();
    },
  );

  for (const [path, parameter, operation, anchor, standing] of [
    [
      "/orgs/:org/personal-access-tokens/:pat_id/repositories",
      "pat_id",
      "orgs/list-pat-grant-repositories",
      "list-repositories-a-fine-grained-personal-access-token-has-access-to",
      "approved",
    ],
    [
      "/orgs/:org/personal-access-token-requests/:pat_request_id/repositories",
      "pat_request_id",
      "orgs/list-pat-grant-request-repositories",
      "list-repositories-requested-to-be-accessed-by-a-fine-grained-personal-access-token",
      "pending",
    ],
  ] as const) {
    app.get<{ Params: { org: string } & Record<typeof parameter, string> }>(
      path,
      { config: { operation, documentationUrl: `${DOCS}#${anchor}` } },
      async (request) => {
        const { organization } = await governedOrganization(request);
        const id = pathId((request.params as Record<string, string>)[parameter]!);
        const { total } = await listPatGrants(
          db,
          organization.login,
          standing,
          { ...filterOf({}), tokenIds: [id] },
          { limit: 1, offset: 0 },
        );
        if (total === 0) throw Errors.notFound();
        // credauth models no repositories.
        return [];
      },
    );
  }

  app.post<{ Params: { org: string } }>(
    "/orgs/:org/personal-access-token-requests",
    {
      config: {
        operation: "orgs/review-pat-grant-requests-in-bulk",
        documentationUrl: `${DOCS}#review-requests-to-access-organization-resources-with-fine-grained-personal-access-tokens`,
      },
    },
    async (request, reply) => {
      const governed = await governedOrganization(request);
      const body = bodyObject(request.body);
      await changeStanding(governed, idsOf(body, "pat_request_ids"), reviewOf(body));
      return reply.code(202).send({});
    },
  );

  app.post<{ Params: { org: string; pat_request_id: string } }>(
    "/orgs/:org/personal-access-token-requests/:pat_request_id",
    {
      config: {
        operation: "orgs/review-pat-grant-request",
        documentationUrl: `${DOCS}#review-a-request-to-access-organization-resources-with-a-fine-grained-personal-access-token`,
      },
    },
    async (request, reply) => {
      const governed = await governedOrganization(request);
      const id = pathId(request.params.pat_request_id);
      await changeStanding(governed, [id], reviewOf(bodyObject(request.body)));
      return reply.code(204).send();
    },
  );
}
