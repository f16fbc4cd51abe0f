// A GitHub App at work, signed in with its JWT: itself (GET /app), its installations, the tokens it
// mints for them, and the installations it suspends or removes; and an installation token revoking
// itself. Suspending or uninstalling destroys the installation's live tokens in the same statement.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { INSTALLATION_TOKEN_LIFETIME_MS, narrowedPermissions } from "../../domain/apps.ts";
import { generateToken, hashToken, lastEight } from "../../domain/tokens.ts";
import { Errors } from "../../errors.ts";
import {
  type AppRecord,
  destroyInstallationToken,
  findInstallation,
  findInstallationOn,
  type InstallationRecord,
  listInstallations,
  mintInstallationToken,
  setInstallationSuspended,
  uninstallInstallation,
} from "../../store/apps.ts";
import { requireApp, requirePrincipal } from "../authentication.ts";
import { paginationLinks, parsePagination } from "../pagination.ts";
import { githubTime, nodeId, presentSimpleUser } from "../presenters.ts";
import type { Services } from "../services.ts";
import { requestedPermissions } from "../token-limits.ts";
import { apiBaseUrl } from "../urls.ts";

const DOCS = "https://docs.github.com/enterprise-cloud@latest/rest/apps";

/** An organization as GitHub's `simple-user` shows an account. */
function presentOrganizationAccount(base: string, web: string, account: AppRecord["owner"]) {
  return {
    ...presentSimpleUser(base, web, account),
    node_id: nodeId("Organization", account.id),
    type: "Organization",
  };
}

/** GitHub's `enterprise`. */
function presentEnterprise(web: string, account: AppRecord["owner"]) {
  return {
    id: account.id,
    node_id: nodeId("Enterprise", account.id),
    name: account.name,
    slug: account.login,
    description: null,
    website_url: null,
    html_url: `${web}/enterprises/${account.login}`,
    created_at: githubTime(account.createdAt),
    updated_at: githubTime(account.createdAt),
    avatar_url: `${web}/identicons/${account.login}.png`,
  };
}

/** An App's owner: `simple-user` for an organization, `enterprise` for an enterprise (the contract's oneOf). */
function presentOwner(base: string, web: string, owner: AppRecord["owner"]) {
  return owner.kind === "Organization" ? presentOrganizationAccount(base, web, owner) : presentEnterprise(web, owner);
}

/**
 * The account an installation is on. The contract lists installations with a `simple-user` account
 * and shows one with either: an enterprise is both, so every client reads it (docs/decisions.md).
 */
function presentInstallationAccount(base: string, web: string, account: InstallationRecord["account"]) {
  if (account.kind === "Organization") return presentOrganizationAccount(base, web, account);
  return {
    ...presentSimpleUser(base, web, account),
    ...presentEnterprise(web, account),
    url: `${base}/enterprises/${account.login}`,
    type: "Enterprise",
  };
}

/** GitHub's `integration`. */
function presentApp(base: string, web: string, app: AppRecord) {
  return {
    id: app.id,
    slug: app.slug,
    node_id: nodeId("Integration", app.id),
    client_id: app.clientId,
    owner: presentOwner(base, web, app.owner),
    name: app.name,
    description: null,
    external_url: `${web}/apps/${app.slug}`,
    html_url: `${web}/apps/${app.slug}`,
    created_at: githubTime(app.createdAt),
    updated_at: githubTime(app.createdAt),
    permissions: app.permissions,
    events: [],
    installations_count: app.installationsCount,
  };
}

/** GitHub's `installation`. */
function presentInstallation(base: string, web: string, app: AppRecord, installation: InstallationRecord) {
  const { account } = installation;
  const settings =
    account.kind === "Organization"
      ? `${web}/organizations/${account.login}/settings/installations/${installation.id}`
      : `${web}/enterprises/${account.login}/settings/installations/${installation.id}`;
  return {
    id: installation.id,
    account: presentInstallationAccount(base, web, account),
    repository_selection: "all",
    access_tokens_url: `${base}/app/installations/${installation.id}/access_tokens`,
    repositories_url: `${base}/installation/repositories`,
    html_url: settings,
    app_id: app.id,
    app_slug: app.slug,
    client_id: app.clientId,
    target_id: account.id,
    target_type: account.kind,
    permissions: installation.permissions,
    events: [],
    created_at: githubTime(installation.createdAt),
    updated_at: githubTime(installation.updatedAt),
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    suspended_by: installation.suspendedBy && presentSimpleUser(base, web, installation.suspendedBy),
    suspended_at: installation.suspendedAt && githubTime(installation.suspendedAt),
  };
}

/** An installation id from the path: a positive integer, or nothing is found. */
function installationIdOf(raw: string): number {
  if (!/^[1-9][0-9]{0,15}$/.test(raw)) throw Errors.notFound();
  const id = Number(raw);
  if (!Number.isSafeInteger(id)) throw Errors.notFound();
  return id;
}

/** The body of POST …/access_tokens: the permissions asked for (none: all the installation's). */
function tokenRequestOf(body: unknown): Record<string, string> | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== "object" || Array.isArray(body)) throw Errors.bodyNotObject();
  return requestedPermissions(body as Record<string, unknown>);
}

export default async function appRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const { db, config, clock } = services;
  const web = config.webUrl;

  /** The caller's installation named in the path, or 404. */
  async function installationOf(request: FastifyRequest<{ Params: { installation_id: string } }>) {
    const caller = requireApp(request);
    const installation = await findInstallation(db, caller.id, installationIdOf(request.params.installation_id));
    if (installation === null) throw Errors.notFound();
    return { caller, installation };
  }

  app.get(
    "/app",
    {
      config: {
        operation: "apps/get-authenticated",
        documentationUrl: `${DOCS}/apps#get-the-authenticated-app`,
      },
    },
    async (request) => presentApp(apiBaseUrl(request), web, requireApp(request)),
  );

  app.get<{ Querystring: Record<string, string | undefined> }>(
    "/app/installations",
    {
      config: {
        operation: "apps/list-installations",
        documentationUrl: `${DOCS}/apps#list-installations-for-the-authenticated-app`,
      },
    },
    async (request, reply) => {
      const caller = requireApp(request);
      const pagination = parsePagination(request.query);
      const installations = await listInstallations(db, caller.id, {
        limit: pagination.perPage,
        offset: (pagination.page - 1) * pagination.perPage,
      });
      const base = apiBaseUrl(request);
      const link = paginationLinks(`${base}${request.url}`, pagination, caller.installationsCount);
      if (link) reply.header("link", link);
      return installations.map((installation) => presentInstallation(base, web, caller, installation));
    },
  );

  app.get<{ Params: { installation_id: string } }>(
    "/app/installations/:installation_id",
    {
      config: {
        operation: "apps/get-installation",
        documentationUrl: `${DOCS}/apps#get-an-installation-for-the-authenticated-app`,
      },
    },
    async (request) => {
      const { caller, installation } = await installationOf(request);
      return presentInstallation(apiBaseUrl(request), web, caller, installation);
    },
  );

  /** The App's installation on an account named in the path, or 404. */
  async function installationOnAccount(request: FastifyRequest, kind: "Enterprise" | "Organization", login: string) {
    const caller = requireApp(request);
    const installation = await findInstallationOn(db, caller.id, { kind, login });
    if (installation === null) throw Errors.notFound();
    return presentInstallation(apiBaseUrl(request), web, caller, installation);
  }

  app.get<{ Params: { org: string } }>(
    "/orgs/:org/installation",
    {
      config: {
        operation: "apps/get-org-installation",
        documentationUrl: `${DOCS}/apps#get-an-organization-installation-for-the-authenticated-app`,
      },
    },
    async (request) => installationOnAccount(request, "Organization", request.params.org),
  );

  app.get<{ Params: { enterprise: string } }>(
    "/enterprises/:enterprise/installation",
    {
      config: {
        operation: "apps/get-enterprise-installation",
        documentationUrl: `${DOCS}/apps#get-an-enterprise-installation-for-the-authenticated-app`,
      },
    },
    async (request) => installationOnAccount(request, "Enterprise", request.params.enterprise),
  );

  app.post<{ Params: { installation_id: string } }>(
    "/app/installations/:installation_id/access_tokens",
    {
      config: {
        operation: "apps/create-installation-access-token",
        documentationUrl: `${DOCS}/apps#create-an-installation-access-token-for-an-app`,
      },
    },
    async (request, reply) => {
      const { installation } = await installationOf(request);
      if (installation.suspendedAt !== null) throw Errors.installationSuspended();
      const permissions = narrowedPermissions(installation.permissions, tokenRequestOf(request.body));
      if (permissions === null) throw Errors.permissionsNotGranted();
      const token = generateToken("github_app_installation_token");
      const expiresAt = new Date(clock.nowMs() + INSTALLATION_TOKEN_LIFETIME_MS);
      const minted = await mintInstallationToken(db, {
        installationId: installation.id,
        tokenHash: hashToken(token),
        lastEight: lastEight(token),
        permissions,
        expiresAt,
      });
      // Suspended or uninstalled between the read and the insert.
      if (!minted) throw Errors.installationSuspended();
      return reply
        .code(201)
        .send({ token, expires_at: githubTime(expiresAt), permissions, repository_selection: "all" });
    },
  );

  app.delete<{ Params: { installation_id: string } }>(
    "/app/installations/:installation_id",
    {
      config: {
        operation: "apps/delete-installation",
        documentationUrl: `${DOCS}/apps#delete-an-installation-for-the-authenticated-app`,
      },
    },
    async (request, reply) => {
      const { caller, installation } = await installationOf(request);
      if (!(await uninstallInstallation(db, caller.id, installation.id))) throw Errors.notFound();
      return reply.code(204).send();
    },
  );

  app.put<{ Params: { installation_id: string } }>(
    "/app/installations/:installation_id/suspended",
    {
      config: {
        operation: "apps/suspend-installation",
        documentationUrl: `${DOCS}/apps#suspend-an-app-installation`,
      },
    },
    async (request, reply) => {
      const { caller, installation } = await installationOf(request);
      // Suspending a suspended installation changes nothing, and is no error.
      await setInstallationSuspended(db, caller.id, installation.id, caller.botUser.id);
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: { installation_id: string } }>(
    "/app/installations/:installation_id/suspended",
    {
      config: {
        operation: "apps/unsuspend-installation",
        documentationUrl: `${DOCS}/apps#unsuspend-an-app-installation`,
      },
    },
    async (request, reply) => {
      const { caller, installation } = await installationOf(request);
      await setInstallationSuspended(db, caller.id, installation.id, null);
      return reply.code(204).send();
    },
  );

  // credauth models no repositories: an installation reaches none, and says so as GitHub lists them.
  app.get(
    "/installation/repositories",
    {
      config: {
        operation: "apps/list-repos-accessible-to-installation",
        documentationUrl: `${DOCS}/installations#list-repositories-accessible-to-the-app-installation`,
      },
    },
    async (request) => {
      requirePrincipal(request);
      return { total_count: 0, repositories: [], repository_selection: "all" };
    },
  );

  app.delete(
    "/installation/token",
    {
      config: {
        operation: "apps/revoke-installation-access-token",
        documentationUrl: `${DOCS}/installations#revoke-an-installation-access-token`,
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      await destroyInstallationToken(db, principal.credential.id);
      return reply.code(204).send();
    },
  );
}
