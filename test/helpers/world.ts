// A small world every integration test can reason about, with known tokens.
import type { FastifyInstance } from "fastify";
import pg from "pg";
import { type Fixture, parseFixture } from "../../src/domain/fixture.ts";
import { generateToken } from "../../src/domain/tokens.ts";
import type { Queryable } from "../../src/store/db.ts";
import { applyFixture } from "../../src/store/seed.ts";
import { type Backend, buildTestApp } from "./backends.ts";

export const SSH_KEYS = {
  ann: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPO5BpIzvYZz3vCM3XOlgBDVvtetQ38JUOwfrCZOIxIU ann@laptop",
  oscar: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGIjiiVsVhQHu470hHLvucWLKetSdGrQdFlmthf80MTv oscar@desktop",
  cleo: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKpoJxOvDZtuEw2dYU3WUiVvKQouRAn0nAG1YmDEm0bl cleo@desktop",
};

export function makeTokens() {
  return {
    emuAdmin: generateToken("classic_pat"),
    owenClassic: generateToken("classic_pat"),
    owenReadOrgOnly: generateToken("classic_pat"),
    owenFineGrained: generateToken("fine_grained_pat"),
    owenFineGrainedNoPermission: generateToken("fine_grained_pat"),
    owenFineGrainedOtherOwner: generateToken("fine_grained_pat"),
    owenAppNoPermission: generateToken("github_app_token"),
    owenOAuth: generateToken("oauth_app_token"),
    caraFineGrained: generateToken("fine_grained_pat"),
    caraAppUser: generateToken("github_app_token"),
    emuInstallation: generateToken("github_app_installation_token"),
    emuInstallationReadOnly: generateToken("github_app_installation_token"),
    classicEngInstallation: generateToken("github_app_installation_token"),
    melClassic: generateToken("classic_pat"),
    annClassic: generateToken("classic_pat"),
    annSpare: generateToken("classic_pat"),
    annFineGrained: generateToken("fine_grained_pat"),
    annOAuth: generateToken("oauth_app_token"),
    annApp: generateToken("github_app_token"),
    gwenClassic: generateToken("classic_pat"),
    tedClassic: generateToken("classic_pat"),
    cleoClassic: generateToken("classic_pat"),
    cleoReadOrg: generateToken("classic_pat"),
    cleoFineGrained: generateToken("fine_grained_pat"),
    cleoUnauthorized: generateToken("classic_pat"),
    cleoKeys: generateToken("classic_pat"),
    sharedClassic: generateToken("classic_pat"),
    patOAuth: generateToken("oauth_app_token"),
    zedClassic: generateToken("classic_pat"),
    expired: generateToken("classic_pat"),
  };
}
export type Tokens = ReturnType<typeof makeTokens>;

export function worldFixture(t: Tokens): Fixture {
  return {
    enterprises: [
      {
        slug: "emu-corp",
        name: "EMU Corp",
        emu: true,
        owners: ["emu_admin", "owen_emu"],
        credential_managers: ["cara_emu"],
        guest_collaborators: ["gwen_emu"],
        organizations: [
          {
            login: "emu-eng",
            owners: ["owen_emu", "emu_admin"],
            members: ["ann_emu", "gwen_emu", "mel_emu"],
            outside_collaborators: ["oscar_emu"],
          },
          { login: "emu-ops", members: ["ann_emu"] },
          { login: "emu-open", saml_sso: false, members: ["ann_emu"] },
        ],
      },
      {
        slug: "classic-corp",
        name: "Classic Corp",
        owners: ["ted"],
        organizations: [{ login: "classic-eng", owners: ["cleo"], members: ["pat", "shared_user"] }],
      },
      {
        slug: "other-corp",
        name: "Other Corp",
        owners: ["olga"],
        organizations: [{ login: "other-eng", members: ["shared_user"] }],
      },
    ],
    users: [
      {
        login: "emu_admin",
        credentials: [
          { type: "classic_pat", token: t.emuAdmin, scopes: ["admin:enterprise"], authorized_orgs: ["emu-eng"] },
        ],
      },
      {
        login: "owen_emu",
        credentials: [
          { type: "classic_pat", token: t.owenClassic, scopes: ["admin:enterprise"], authorized_orgs: ["emu-eng"] },
          { type: "classic_pat", token: t.owenReadOrgOnly, scopes: ["read:org"] },
          {
            type: "fine_grained_pat",
            token: t.owenFineGrained,
            resource_owner: "emu-corp",
            permissions: { enterprise_credentials: "write" },
          },
          {
            type: "fine_grained_pat",
            token: t.owenFineGrainedNoPermission,
            resource_owner: "emu-corp",
            permissions: { enterprise_credentials: "read" },
          },
          { type: "github_app_token", token: t.owenAppNoPermission, permissions: { contents: "read" } },
          { type: "oauth_app_token", token: t.owenOAuth, scopes: ["admin:enterprise"] },
        ],
      },
      {
        login: "cara_emu",
        credentials: [
          // GitHub does not open the enterprise revoke endpoints to fine-grained PATs: refused.
          {
            type: "fine_grained_pat",
            token: t.caraFineGrained,
            resource_owner: "emu-corp",
            permissions: { enterprise_credentials: "write" },
          },
          // A GitHub App user token with Enterprise credentials: write is the fine-grained way in.
          { type: "github_app_token", token: t.caraAppUser, permissions: { enterprise_credentials: "write" } },
        ],
      },
      {
        // A GitHub App installed on the enterprise, and on one organization: it acts with no role.
        login: "emu-responder[bot]",
        credentials: [
          {
            type: "github_app_installation_token",
            token: t.emuInstallation,
            resource_owner: "emu-corp",
            permissions: { enterprise_credentials: "write", enterprise_administration: "read" },
          },
          {
            type: "github_app_installation_token",
            token: t.emuInstallationReadOnly,
            resource_owner: "emu-corp",
            permissions: { enterprise_credentials: "read" },
          },
          {
            type: "github_app_installation_token",
            token: t.classicEngInstallation,
            resource_owner: "classic-eng",
            permissions: { organization_administration: "write", members: "read" },
          },
        ],
      },
      { login: "mel_emu", credentials: [{ type: "classic_pat", token: t.melClassic, scopes: ["admin:enterprise"] }] },
      {
        login: "ann_emu",
        credentials: [
          {
            type: "classic_pat",
            token: t.annClassic,
            scopes: ["repo", "read:org"],
            note: "laptop",
            authorized_orgs: ["emu-eng", "emu-ops"],
          },
          { type: "classic_pat", token: t.annSpare, scopes: ["repo"], note: "spare" },
          {
            type: "fine_grained_pat",
            token: t.annFineGrained,
            resource_owner: "emu-eng",
            permissions: { contents: "read" },
            authorized_orgs: ["emu-eng"],
          },
          { type: "ssh_key", title: "laptop", key: SSH_KEYS.ann, authorized_orgs: ["emu-eng"] },
          { type: "oauth_app_token", token: t.annOAuth, scopes: ["repo"], authorized_orgs: ["emu-eng"] },
          {
            type: "github_app_token",
            token: t.annApp,
            permissions: { contents: "read" },
            authorized_orgs: ["emu-ops"],
          },
        ],
      },
      {
        login: "gwen_emu",
        credentials: [{ type: "classic_pat", token: t.gwenClassic, scopes: ["repo"], authorized_orgs: ["emu-eng"] }],
      },
      {
        login: "oscar_emu",
        credentials: [{ type: "ssh_key", title: "desktop", key: SSH_KEYS.oscar, authorized_orgs: ["emu-eng"] }],
      },
      {
        login: "ted",
        credentials: [{ type: "classic_pat", token: t.tedClassic, scopes: ["admin:enterprise", "read:audit_log"] }],
      },
      {
        login: "cleo",
        credentials: [
          {
            type: "classic_pat",
            token: t.cleoClassic,
            scopes: ["admin:org", "read:audit_log"],
            note: "owner",
            authorized_orgs: ["classic-eng"],
          },
          { type: "classic_pat", token: t.cleoReadOrg, scopes: ["read:org"], authorized_orgs: ["classic-eng"] },
          {
            type: "fine_grained_pat",
            token: t.cleoFineGrained,
            resource_owner: "classic-eng",
            permissions: { organization_administration: "write" },
            authorized_orgs: ["classic-eng"],
          },
          { type: "classic_pat", token: t.cleoUnauthorized, scopes: ["admin:org"] },
          // Reads her SSH keys (GET /user/keys); neither is authorized for any organization.
          { type: "classic_pat", token: t.cleoKeys, scopes: ["read:public_key"], note: "keys" },
          { type: "ssh_key", title: "desktop", key: SSH_KEYS.cleo },
        ],
      },
      {
        login: "shared_user",
        credentials: [
          {
            type: "classic_pat",
            token: t.sharedClassic,
            scopes: ["repo"],
            authorized_orgs: ["classic-eng", "other-eng"],
          },
        ],
      },
      {
        login: "pat",
        credentials: [
          { type: "oauth_app_token", token: t.patOAuth, scopes: ["repo"], authorized_orgs: ["classic-eng"] },
        ],
      },
      { login: "zed", credentials: [{ type: "classic_pat", token: t.zedClassic, scopes: ["admin:enterprise"] }] },
      {
        login: "expired_user",
        credentials: [
          { type: "classic_pat", token: t.expired, scopes: ["admin:enterprise"], expires_at: "2020-01-01T00:00:00Z" },
        ],
      },
    ],
  };
}

export interface TestApp {
  app: FastifyInstance;
  tokens: Tokens;
  close(): Promise<void>;
}

/** A built (not listening) app on a fresh database of `backend`, seeded with the world. */
export async function startWorldApp(
  backend: Backend,
  options: {
    runWorker?: boolean;
    adminToken?: string;
    rateLimit?: "github" | "off";
    userAgent?: "required" | "optional";
    /** Where the app's log lines go, at level info. (Default: none, silent) */
    logStream?: { write(line: string): void };
    smtpUrl?: string;
    secretsKeyHex?: string;
    allowPrivateWebhooks?: boolean;
  } = {},
): Promise<TestApp> {
  const { logStream, ...overrides } = options;
  const { app, close } = await buildTestApp(
    backend,
    {
      ...overrides,
      runWorker: options.runWorker ?? false,
      // Retries come due without a NOTIFY: the backstop poll finds them within half a second. A
      // failed webhook is tried again after a second (the least pg-boss delays), not five.
      jobs: { pollingIntervalSeconds: 0.5, backstopSeconds: 0.5, webhookRetrySeconds: 1 },
      ...(logStream ? { logLevel: "info" } : {}),
    },
    logStream ? { logStream } : {},
  );
  const tokens = makeTokens();
  await applyFixture(app.services.db, parseFixture(JSON.stringify(worldFixture(tokens)), "world.json"));
  return { app, tokens, close };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A PostgreSQL session of the test's own on the app's database (PostgreSQL apps only). */
export async function databaseSession(t: TestApp): Promise<pg.Client> {
  const database = t.app.services.config.database;
  if (database.kind !== "postgres") throw new Error("the app's database is not PostgreSQL");
  const session = new pg.Client({ connectionString: database.url });
  await session.connect();
  return session;
}

/**
 * Everything a request could change, in one comparable value: a refused request must leave it as
 * it was. Counts and the newest ids of every table a request writes, and the live state of rows.
 */
export async function worldDigest(db: Queryable): Promise<string> {
  const [row] = await db.query<Record<string, unknown>>(
    `select (select count(*) from revocations) as revocations,
            (select count(*) from credential_authorizations where revoked_at is null) as live_authorizations,
            (select count(*) from credential_authorizations) as authorizations,
            (select count(*) from credentials where destroyed_at is null) as live_credentials,
            (select count(*) from credentials) as credentials,
            (select count(*) from audit_events) as audit_events,
            (select count(*) from notifications) as notifications,
            (select count(*) from users) as users,
            (select count(*) from enterprises) as enterprises,
            (select count(*) from organizations) as organizations,
            (select count(*) from enterprise_roles) as enterprise_roles,
            (select count(*) from organization_roles) as organization_roles,
            (select count(*) from apps) as apps,
            (select count(*) from app_installations where uninstalled_at is null and suspended_at is null) as live_installations`,
  );
  return JSON.stringify(row);
}

/** A job resource as the tests read it. */
export interface TestJob {
  id: number;
  state: "queued" | "running" | "succeeded" | "failed";
  counts: Record<"authorizations_revoked" | "credentials_destroyed", { total: number } & Record<string, number>>;
}

/** The job of revocation `id` once it has succeeded or failed, read as `token` (the worker runs it). */
export async function settledJob(t: TestApp, id: number, token: string): Promise<TestJob> {
  for (let i = 0; i < 200; i++) {
    const job = (
      await t.app.inject({ method: "GET", url: `/_credauth/revocations/${id}`, headers: bearer(token) })
    ).json() as TestJob;
    if (job.state === "succeeded" || job.state === "failed") return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`revocation ${id} did not settle`);
}

/** POSTs a revoke endpoint as `token`, asserts GitHub's 202, and returns the job's id (from Location). */
export async function requestRevocation(t: TestApp, url: string, token: string, payload?: object): Promise<number> {
  const r = await t.app.inject({ method: "POST", url, headers: bearer(token), ...(payload ? { payload } : {}) });
  if (r.statusCode !== 202) throw new Error(`${url} answered ${r.statusCode}: ${r.body}`);
  return Number(/(\d+)$/.exec(String(r.headers.location))![1]);
}
