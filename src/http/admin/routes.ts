// /_credauth/admin — runtime provisioning with the fixture file's shapes, for a site admin whose
// token comes from configuration. Without a configured token none of these routes exist (404).
import type { FastifyInstance, FastifyRequest } from "fastify";
import { type Fixture, FixtureError, parseFixture } from "../../domain/fixture.ts";
import { Errors } from "../../errors.ts";
import { findEnterpriseById, findEnterpriseBySlug } from "../../store/enterprises.ts";
import { findOrganizationByLogin } from "../../store/organizations.ts";
import {
  deleteEnterprise,
  deleteOrganization,
  deleteUser,
  destroyCredential,
  grantCredentialAuthorization,
  isEnterpriseRoleList,
  isOrganizationRoleList,
  removeEnterpriseRole,
  removeOrganizationRole,
} from "../../store/provisioning.ts";
import { applyFixture, type SeedReport } from "../../store/seed.ts";
import { findUserByLogin } from "../../store/users.ts";
import type { Services } from "../services.ts";
import { siteAdminGuard } from "../site-admin.ts";
import { ADMIN_PREFIX } from "../urls.ts";

function presentReport(report: SeedReport) {
  return {
    created: report.created,
    credentials: report.credentials.map((c) => ({
      id: c.id,
      login: c.login,
      type: c.type,
      note: c.note,
      ...(c.token ? { token: c.token } : {}),
    })),
    apps: report.apps.map((app) => ({
      slug: app.slug,
      id: app.id,
      client_id: app.clientId,
      ...(app.clientSecret ? { client_secret: app.clientSecret } : {}),
      ...(app.privateKey ? { private_key: app.privateKey } : {}),
      installations: app.installations,
    })),
  };
}

/** A request body checked as part of a fixture; problems are reported against the body's own paths. */
function fixtureFrom(
  body: unknown,
  wrap: (body: unknown) => Fixture,
  bodyPath: string,
): ReturnType<typeof parseFixture> {
  if (body === undefined || body === null || typeof body !== "object" || Array.isArray(body))
    throw Errors.bodyNotObject();
  try {
    return parseFixture(JSON.stringify(wrap(body)), "request body");
  } catch (error) {
    throw asInvalidRequest(error, bodyPath);
  }
}

function asInvalidRequest(error: unknown, bodyPath: string): unknown {
  if (!(error instanceof FixtureError)) return error;
  const path = error.path.startsWith(bodyPath) ? error.path.slice(bodyPath.length).replace(/^\./, "") : error.path;
  return Errors.invalidRequest(path ? `For 'properties/${path}', ${error.problem}.` : `${error.problem}.`);
}

const notFound = (found: boolean) => {
  if (!found) throw Errors.notFound();
};

export default async function adminRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const adminToken = services.config.adminToken;
  if (adminToken === null) return; // no token configured: the admin API does not exist
  const { db } = services;

  app.addHook("onRequest", siteAdminGuard(adminToken, services.rateLimits));

  const seed = async (parsed: ReturnType<typeof parseFixture>, bodyPath: string) => {
    try {
      return await applyFixture(db, parsed, { secrets: services.secrets });
    } catch (error) {
      throw asInvalidRequest(error, bodyPath);
    }
  };
  // The site admin is not a GitHub user: no GitHub rate limit applies.
  const config = { siteAdmin: true, rateLimitResource: "none" } as const;

  app.post(`${ADMIN_PREFIX}/fixtures`, { config }, async (request, reply) => {
    const parsed = fixtureFrom(request.body, (body) => body as Fixture, "");
    return reply.code(201).send(presentReport(await seed(parsed, "")));
  });

  app.post(`${ADMIN_PREFIX}/enterprises`, { config }, async (request, reply) => {
    const parsed = fixtureFrom(request.body, (body) => ({ enterprises: [body] }) as Fixture, "enterprises[0]");
    return reply.code(201).send(presentReport(await seed(parsed, "enterprises[0]")));
  });

  app.delete<{ Params: { slug: string } }>(`${ADMIN_PREFIX}/enterprises/:slug`, { config }, async (request, reply) => {
    notFound(await db.transaction((tx) => deleteEnterprise(tx, request.params.slug)));
    return reply.code(204).send();
  });

  app.post<{ Params: { slug: string } }>(
    `${ADMIN_PREFIX}/enterprises/:slug/organizations`,
    { config },
    async (request, reply) => {
      const enterprise = await findEnterpriseBySlug(db, request.params.slug);
      notFound(enterprise !== null);
      const parsed = fixtureFrom(
        request.body,
        (body) => ({ enterprises: [{ slug: enterprise!.slug, organizations: [body] }] }) as Fixture,
        "enterprises[0].organizations[0]",
      );
      return reply.code(201).send(presentReport(await seed(parsed, "enterprises[0].organizations[0]")));
    },
  );

  app.delete<{ Params: { org: string } }>(`${ADMIN_PREFIX}/organizations/:org`, { config }, async (request, reply) => {
    notFound(await deleteOrganization(db, request.params.org));
    return reply.code(204).send();
  });

  app.put<{ Params: { slug: string; role: string; login: string } }>(
    `${ADMIN_PREFIX}/enterprises/:slug/:role/:login`,
    { config },
    async (request, reply) => {
      const { slug, role, login } = request.params;
      const enterprise = await findEnterpriseBySlug(db, slug);
      notFound(enterprise !== null && isEnterpriseRoleList(role));
      const parsed = fixtureFrom(
        { [role]: [login] },
        (body) => ({ enterprises: [{ slug: enterprise!.slug, ...(body as object) }] }) as Fixture,
        "enterprises[0]",
      );
      await seed(parsed, "enterprises[0]");
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: { slug: string; role: string; login: string } }>(
    `${ADMIN_PREFIX}/enterprises/:slug/:role/:login`,
    { config },
    async (request, reply) => {
      const { slug, role, login } = request.params;
      notFound(isEnterpriseRoleList(role) && (await removeEnterpriseRole(db, slug, role, login)));
      return reply.code(204).send();
    },
  );

  app.put<{ Params: { org: string; role: string; login: string } }>(
    `${ADMIN_PREFIX}/organizations/:org/:role/:login`,
    { config },
    async (request, reply) => {
      const { org, role, login } = request.params;
      const organization = await findOrganizationByLogin(db, org);
      notFound(organization !== null && isOrganizationRoleList(role));
      const enterprise = await findEnterpriseById(db, organization!.enterpriseId);
      const parsed = fixtureFrom(
        { [role]: [login] },
        (body) =>
          ({
            enterprises: [
              { slug: enterprise!.slug, organizations: [{ login: organization!.login, ...(body as object) }] },
            ],
          }) as Fixture,
        "enterprises[0].organizations[0]",
      );
      await seed(parsed, "enterprises[0].organizations[0]");
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: { org: string; role: string; login: string } }>(
    `${ADMIN_PREFIX}/organizations/:org/:role/:login`,
    { config },
    async (request, reply) => {
      const { org, role, login } = request.params;
      notFound(isOrganizationRoleList(role) && (await removeOrganizationRole(db, org, role, login)));
      return reply.code(204).send();
    },
  );

  app.post(`${ADMIN_PREFIX}/users`, { config }, async (request, reply) => {
    const parsed = fixtureFrom(request.body, (body) => ({ users: [body] }) as Fixture, "users[0]");
    return reply.code(201).send(presentReport(await seed(parsed, "users[0]")));
  });

  app.delete<{ Params: { login: string } }>(`${ADMIN_PREFIX}/users/:login`, { config }, async (request, reply) => {
    const outcome = await db.transaction((tx) => deleteUser(tx, request.params.login));
    if (outcome === "first_emu_owner")
      throw Errors.invalidRequest("The first EMU owner cannot be removed; remove the enterprise instead.");
    notFound(outcome === "removed");
    return reply.code(204).send();
  });

  app.post<{ Params: { login: string } }>(
    `${ADMIN_PREFIX}/users/:login/credentials`,
    { config },
    async (request, reply) => {
      const user = await findUserByLogin(db, request.params.login);
      notFound(user !== null);
      const parsed = fixtureFrom(
        request.body,
        (body) => ({ users: [{ login: user!.login, credentials: [body] }] }) as Fixture,
        "users[0].credentials[0]",
      );
      const report = await seed(parsed, "users[0].credentials[0]");
      const created = report.credentials[0];
      // An existing credential (same token, or same note for a generated one) is not created again.
      if (!created) throw Errors.credentialExists();
      return reply.code(201).send(presentReport(report).credentials[0]);
    },
  );

  app.delete<{ Params: { id: string } }>(`${ADMIN_PREFIX}/credentials/:id`, { config }, async (request, reply) => {
    const id = /^[1-9]\d{0,15}$/.test(request.params.id) ? Number(request.params.id) : null;
    notFound(id !== null && (await destroyCredential(db, id)));
    return reply.code(204).send();
  });

  app.post<{ Params: { id: string } }>(
    `${ADMIN_PREFIX}/credentials/:id/authorizations`,
    { config },
    async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
      const id = /^[1-9]\d{0,15}$/.test(request.params.id) ? Number(request.params.id) : null;
      const body = request.body as { organization?: unknown } | undefined;
      if (body === undefined || body === null || typeof body !== "object" || Array.isArray(body))
        throw Errors.bodyNotObject();
      if (typeof body.organization !== "string" || body.organization === "") {
        throw Errors.invalidRequest(
          `For 'properties/organization', ${JSON.stringify(body.organization) ?? "nothing"} is not an organization login.`,
        );
      }
      if (id === null) throw Errors.notFound();
      const outcome = await db.transaction((tx) => grantCredentialAuthorization(tx, id, body.organization as string));
      switch (outcome.kind) {
        case "granted":
        case "already_granted":
          return reply.code(outcome.kind === "granted" ? 201 : 200).send({
            credential_id: outcome.authorizationId,
            authorized_credential_id: id,
            organization: body.organization,
          });
        case "previously_revoked":
          throw Errors.authorizationPreviouslyRevoked();
        case "credential_destroyed":
          throw Errors.invalidRequest("This credential was destroyed; a destroyed credential cannot be authorized.");
        case "no_credential":
        case "no_organization":
          throw Errors.notFound();
      }
    },
  );
}
