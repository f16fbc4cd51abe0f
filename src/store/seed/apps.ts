// A fixture's GitHub Apps, each with its bot account and installations. What is not given is
// generated — the id, the client id, the client secret, the key pair — and the secrets go into the
// load's report only: the database keeps the secret's hash and the key's public half. Loading the
// same fixture again adds only installations that are new; an App that exists keeps its keys.
import { generateAppKeyPair, generateClientId, generateClientSecret, publicKeyOf } from "../../domain/apps.ts";
import type { FixtureApp, ParsedFixture } from "../../domain/fixture.ts";
import { hashToken } from "../../domain/tokens.ts";
import { installationEvents } from "../apps.ts";
import type { Queryable } from "../db.ts";
import type { Fail, SeedReport } from "./rows.ts";

/** The first id given to an App the fixture gives none. */
const FIRST_APP_ID = 1001;

/** An enterprise or organization by its slug or login. */
const ACCOUNT = `select 'Enterprise' as kind, id, slug as login from enterprises where lower(slug) = lower($1)
     union all
     select 'Organization', id, login from organizations where lower(login) = lower($1)`;

type Account = { kind: "Enterprise" | "Organization"; id: string; login: string };

const BOT_USER = `with made as (
       insert into users (login) values ($1) on conflict ((lower(login))) do nothing returning id)
     select id, true as made from made
     union all
     select id, false from users where lower(login) = lower($1)
     limit 1`;

/** The App this one already is (same slug), else any App holding its id ($2) or client id ($3). */
const EXISTING_APP = `select id, client_id, lower(slug) = lower($1) as same_slug
       from apps where lower(slug) = lower($1) or id = $2 or client_id = $3
      order by same_slug desc limit 1`;

const INSERT_APP = `insert into apps (id, slug, name, client_id, client_secret_hash, public_key, owner_enterprise_id,
                         owner_organization_id, bot_user_id, permissions)
     values (coalesce($1, (select greatest(coalesce(max(id), 0) + 1, ${FIRST_APP_ID}) from apps)),
             $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)
     returning id`;

/**
 * Installs App $1 on the account ($2 enterprise or $3 organization) with permissions $4, unless it
 * is installed there already, and audits the installation (actor: the owner of nothing, the App).
 */
const INSTALL = `with made as (
       insert into app_installations (app_id, enterprise_id, organization_id, permissions)
       values ($1, $2, $3, $4::jsonb)
       on conflict (app_id, (coalesce(enterprise_id, 0)), (coalesce(organization_id, 0))) where uninstalled_at is null do nothing
       returning id, app_id, enterprise_id, organization_id),
     events as (${installationEvents("'integration_installation.create'", "made")})
     select id from made
     union all
     select id from app_installations
      where app_id = $1 and uninstalled_at is null
        and coalesce(enterprise_id, 0) = coalesce($2, 0) and coalesce(organization_id, 0) = coalesce($3, 0)
     limit 1`;

async function accountNamed(tx: Queryable, name: string): Promise<Account | null> {
  const [row] = await tx.query<Account>(ACCOUNT, [name]);
  return row ?? null;
}

/** Loads the fixture's Apps (after the enterprises and organizations they are owned by and installed on). */
export async function loadApps(tx: Queryable, parsed: ParsedFixture, report: SeedReport, fail: Fail): Promise<void> {
  for (const [a, app] of (parsed.fixture.apps ?? []).entries()) await loadApp(tx, app, ["apps", a], report, fail);
}

async function loadApp(
  tx: Queryable,
  app: FixtureApp,
  at: (string | number)[],
  report: SeedReport,
  fail: Fail,
): Promise<void> {
  const owner = await accountNamed(tx, app.owner);
  if (owner === null) return fail([...at, "owner"], `"${app.owner}" is not an enterprise or organization`);
  const [existing] = await tx.query<{ id: string; client_id: string; same_slug: boolean }>(EXISTING_APP, [
    app.slug,
    app.id ?? null,
    app.client_id ?? null,
  ]);
  let appId: number;
  let clientId: string;
  const generated: { clientSecret?: string; privateKey?: string } = {};
  if (existing && !existing.same_slug)
    return fail(at, `its id or client id belongs to another App already loaded; give this one its own`);
  if (existing) {
    appId = Number(existing.id);
    clientId = existing.client_id;
  } else {
    clientId = app.client_id ?? generateClientId();
    const secret = app.client_secret ?? generateClientSecret();
    if (app.client_secret === undefined) generated.clientSecret = secret;
    let publicKey: string;
    if (app.private_key !== undefined) publicKey = publicKeyOf(app.private_key)!;
    else {
      const pair = generateAppKeyPair();
      publicKey = pair.publicKey;
      generated.privateKey = pair.privateKey;
    }
    const [bot] = await tx.query<{ id: string; made: boolean }>(BOT_USER, [`${app.slug}[bot]`]);
    if (bot!.made) report.created.users += 1;
    const [row] = await tx.query<{ id: string }>(INSERT_APP, [
      app.id ?? null,
      app.slug,
      app.name ?? app.slug,
      clientId,
      hashToken(secret),
      publicKey,
      owner.kind === "Enterprise" ? owner.id : null,
      owner.kind === "Organization" ? owner.id : null,
      bot!.id,
      JSON.stringify(app.permissions ?? {}),
    ]);
    appId = Number(row!.id);
    report.created.apps += 1;
  }
  const installations: { account: string; id: number }[] = [];
  for (const [i, installation] of (app.installations ?? []).entries()) {
    const account = await accountNamed(tx, installation.account);
    if (account === null)
      return fail(
        [...at, "installations", i, "account"],
        `"${installation.account}" is not an enterprise or organization`,
      );
    const [row] = await tx.query<{ id: string }>(INSTALL, [
      appId,
      account.kind === "Enterprise" ? account.id : null,
      account.kind === "Organization" ? account.id : null,
      JSON.stringify(installation.permissions ?? app.permissions ?? {}),
    ]);
    installations.push({ account: account.login, id: Number(row!.id) });
  }
  report.apps.push({ slug: app.slug, id: appId, clientId, ...generated, installations });
}
