// Property: whatever a client sends — any route, method, header or body shape — credauth answers
// below 500, in GitHub's error shape when it refuses, and a refused request changes nothing in the
// world. fast-check generates the requests; CREDAUTH_FUZZ_RUNS sets how many (the fast tier runs a
// few hundred, going on until it has met every kind of answer it checks for; `npm run test:slow`
// thousands). A failure prints the shrunk request to replay.
import assert from "node:assert/strict";
import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import type { FastifyInstance, InjectOptions } from "fastify";
import { SignJWT } from "jose";
import { parseFixture } from "../../src/domain/fixture.ts";
import { setClockOffset } from "../../src/store/clock.ts";
import { applyFixture } from "../../src/store/seed.ts";
import { buildTestApp, pgliteBackend } from "../helpers/backends.ts";
import { PROTOTYPE_NAMES } from "../helpers/hostile.ts";
import { makeTokens, type Tokens, worldDigest, worldFixture } from "../helpers/world.ts";

const RUNS = Number(process.env.CREDAUTH_FUZZ_RUNS ?? 300);
const ADMIN_TOKEN = "fuzz-admin-token-0123456789abcdef0123456789";

/** An App installed in the world, so the routes that take its JWT or its client secret are reached too. */
const APP_KEY = generateKeyPairSync("rsa", { modulusLength: 2048 })
  .privateKey.export({ type: "pkcs8", format: "pem" })
  .toString();
const APP_SECRET = "fuzz0app0secret0000000000000000000000000";
const APP = {
  slug: "fuzz-app",
  owner: "emu-corp",
  id: 6006,
  client_id: "Iv23liFuzzApp000001",
  client_secret: APP_SECRET,
  private_key: APP_KEY,
  permissions: { enterprise_credentials: "write", organization_personal_access_tokens: "write" },
  installations: [{ account: "emu-corp", permissions: { enterprise_credentials: "write" } }, { account: "emu-eng" }],
};
/** Routes that take the App's JWT, and those that take its client id and secret. */
const JWT_ROUTE = /^\/(app(\/|$)|orgs\/[^/]+\/installation$|enterprises\/[^/]+\/installation$)/;
const CLIENT_ROUTE = /^\/applications\//;

const ENTERPRISES = ["emu-corp", "classic-corp", "other-corp"];
const LOGINS = ["ann_emu", "owen_emu", "emu_admin", "cleo", "shared_user", "oscar_emu"];
const IDS = ["1", "2", "3", "0", "-1", "99999999999999999999"];
/** Values that name something in the test world, by the route parameter's name. */
const KNOWN: Record<string, readonly string[]> = {
  enterprise: ENTERPRISES,
  slug: ENTERPRISES,
  org: ["emu-eng", "emu-ops", "emu-open", "classic-eng", "other-eng"],
  username: LOGINS,
  login: LOGINS,
  id: IDS,
  credential_id: IDS,
  installation_id: ["40000001", "40000002", ...IDS],
  client_id: ["Iv23liFuzzApp000001", "x"],
  pat_id: IDS,
  pat_request_id: IDS,
  revocation_id: IDS,
  role: ["owners", "members", "credential_managers", "outside_collaborators", "guest_collaborators", "admins"],
};

/** Text a client could put anywhere: known names, hostile strings, arbitrary Unicode. */
const hostileText = fc.oneof(
  fc.constantFrom(
    "",
    " ",
    "%00",
    "%",
    "..",
    "a".repeat(300),
    "null",
    "[]",
    "{}",
    "1e309",
    "-0",
    "ghp_",
    "%F0%9F%92%A9",
    "' or 1=1 --",
    ...PROTOTYPE_NAMES,
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
);

const segment = (name: string) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...(KNOWN[name] ?? ["x"])) },
    { weight: 1, arbitrary: hostileText.map((t) => encodeURIComponent(t)) },
  );

/**
 * One of the app's routes (every route it registered: a new one is fuzzed without being listed),
 * its method now and then another one, and its path with segments filled in.
 */
const routeOf = (routes: readonly { method: string; url: string }[]) =>
  fc.constantFrom(...routes).chain(({ method, url: template }) => {
    const names = [...template.matchAll(/:(\w+)/g)].map((m) => m[1]!);
    return fc.record({
      method: fc.oneof(
        { weight: 4, arbitrary: fc.constant(method) },
        { weight: 1, arbitrary: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS") },
      ),
      path: fc
        .tuple(...names.map(segment))
        .map((values) => names.reduce((p, name, i) => p.replace(`:${name}`, values[i]!), template)),
    });
  });

const query = fc
  .dictionary(
    fc.oneof(
      fc.constantFrom("per_page", "page", "login", "phrase", "after", "before", "order", "include", ...PROTOTYPE_NAMES),
      fc.string({ maxLength: 8 }),
    ),
    fc.oneof(
      hostileText,
      fc.constantFrom(
        "created:2026-02-30",
        "created:0000-01-01",
        "created:>=9999-12-31T23:59:59-14:00",
        "action:org_credential_authorization",
        '-actor:x user:"a b"',
      ),
      fc.integer().map(String),
    ),
    { maxKeys: 3 },
  )
  .map((entries) => new URLSearchParams(entries).toString());

const body = fc.oneof(
  fc.constant(undefined),
  fc.json({ maxDepth: 4 }),
  hostileText,
  fc
    .record(
      {
        revoke_credentials: fc.oneof(fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 2 })),
        credential_type: fc.oneof(
          fc.constantFrom("classic_pat", "ssh_key", "github_app_token"),
          fc.jsonValue({ maxDepth: 2 }),
        ),
      },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
  // Deeply nested JSON, alone or as the value of a field the routes read.
  fc
    .tuple(
      fc.oneof(fc.integer({ min: 90, max: 300 }), fc.integer({ min: 1000, max: 20_000 })),
      fc.constantFrom("", "revoke_credentials", "credential_type", "organization", "login"),
    )
    .map(([depth, field]) => {
      const deep = "[".repeat(depth) + "]".repeat(depth);
      return field === "" ? deep : `{"${field}": ${deep}}`;
    }),
);

/** Header values that Node itself refuses to send are not something a client can send either. */
const sendable = (value: string | undefined) => value === undefined || /^[\t\x20-\x7e\x80-\xff]*$/.test(value);

function requests(tokens: Tokens, routes: readonly { method: string; url: string }[], appJwt: string) {
  // Mostly requests that get past authentication, so the generator reaches the routes' own checks.
  const headerText = hostileText.filter(sendable);
  const authorization = (path: string) =>
    fc.oneof(
      { weight: 1, arbitrary: fc.constant(undefined) },
      // The admin API takes the site-admin token, every other route a GitHub token.
      {
        weight: 6,
        arbitrary: path.startsWith("/_credauth/admin")
          ? fc.constant(`Bearer ${ADMIN_TOKEN}`)
          : JWT_ROUTE.test(path)
            ? fc.constant(`Bearer ${appJwt}`)
            : CLIENT_ROUTE.test(path)
              ? fc.constant(`Basic ${Buffer.from(`${APP.client_id}:${APP_SECRET}`).toString("base64")}`)
              : fc.constantFrom(...Object.values(tokens)).map((token) => `Bearer ${token}`),
      },
      { weight: 1, arbitrary: fc.constantFrom(...Object.values(tokens)).map((token) => `token ${token}`) },
      { weight: 1, arbitrary: headerText.map((text) => `Bearer ${text}`) },
      { weight: 1, arbitrary: headerText },
    );
  const rarely = <T>(usual: fc.Arbitrary<T>, other: fc.Arbitrary<T>) =>
    fc.oneof({ weight: 8, arbitrary: usual }, { weight: 1, arbitrary: other });
  return routeOf(routes).chain(({ method, path }) =>
    fc.record({
      method: fc.constant(method),
      path: fc.constant(path),
      query,
      body,
      authorization: authorization(path),
      version: rarely(fc.constantFrom(undefined, "2022-11-28", "2026-03-10"), headerText),
      accept: rarely(
        fc.constantFrom(undefined, "application/vnd.github+json", "application/vnd.github.v3.raw+json", "*/*"),
        headerText,
      ),
      contentType: rarely(
        fc.constantFrom(
          undefined,
          "application/json",
          "text/plain",
          "application/x-www-form-urlencoded",
          "multipart/form-data; boundary=x",
        ),
        headerText,
      ),
    }),
  );
}

/**
 * Undoes what an accepted request did, so later requests still meet live tokens and the routes'
 * own checks rather than 401s: fences are lifted, revoked and destroyed rows come back, and what
 * the admin API removed is loaded again. (A test-only shortcut: credauth itself never brings a
 * revoked authorization back.)
 */
async function revive(app: FastifyInstance, tokens: Tokens): Promise<void> {
  await app.services.db.exec(`
    update revocations set state = 'succeeded' where state <> 'succeeded';
    update credentials set destroyed_at = null, destroyed_by_revocation_id = null where destroyed_at is not null;
    update credential_authorizations set revoked_at = null, revoked_by_revocation_id = null where revoked_at is not null;
    update credentials set org_access = 'approved' where org_access <> 'approved';
    update app_installations set uninstalled_at = null, suspended_at = null, suspended_by_id = null
     where uninstalled_at is not null or suspended_at is not null;`);
  await applyFixture(app.services.db, parseFixture(JSON.stringify(worldFixture(tokens)), "world.json"));
  await applyFixture(app.services.db, parseFixture(JSON.stringify({ apps: [APP] }), "app.json"));
}

describe("fuzzing every route", () => {
  let app: FastifyInstance;
  let tokens: Tokens;
  let appJwt: string;
  let close: () => Promise<void>;
  before(async () => {
    ({ app, close } = await buildTestApp(pgliteBackend, { adminToken: ADMIN_TOKEN }));
    tokens = makeTokens();
    await applyFixture(app.services.db, parseFixture(JSON.stringify(worldFixture(tokens)), "world.json"));
    await applyFixture(app.services.db, parseFixture(JSON.stringify({ apps: [APP] }), "app.json"));
    // Ten minutes, as GitHub allows: the run takes well under that.
    const now = Math.floor(Date.now() / 1000);
    appJwt = await new SignJWT({ iss: String(APP.id), iat: now - 30, exp: now + 570 })
      .setProtectedHeader({ alg: "RS256" })
      .sign(createPrivateKey(APP_KEY));
  });
  const statuses = new Map<number, number>();
  after(() => close());

  it(`answers ${RUNS} generated requests below 500, refusals in GitHub's shape and changing nothing`, {
    timeout: 600_000,
  }, async () => {
    const property = fc.asyncProperty(requests(tokens, app.registeredRoutes, appJwt), async (r) => {
      const headers: Record<string, string> = {};
      if (r.authorization !== undefined) headers.authorization = r.authorization;
      if (r.version !== undefined) headers["x-github-api-version"] = r.version;
      if (r.accept !== undefined) headers.accept = r.accept;
      if (r.contentType !== undefined) headers["content-type"] = r.contentType;
      if (!Object.values(headers).every(sendable)) return;
      const request: InjectOptions = {
        method: r.method as InjectOptions["method"],
        url: r.query ? `${r.path}?${r.query}` : r.path,
        headers,
      };
      if (r.body !== undefined && r.method !== "GET" && r.method !== "HEAD") request.payload = r.body;
      // What an earlier generated request asked of the harness as site admin (a fault rule that
      // answers 5xx on purpose, a moved clock) is undone: each request meets the world as loaded.
      app.services.harness.clearFaults();
      if (app.services.clock.offsetMs !== 0) await setClockOffset(app.services.db, app.services.clock, 0);
      const before = await worldDigest(app.services.db);
      const response = await app.inject(request);
      const what = `${r.method} ${request.url} ${String(r.body).slice(0, 80)} → ${response.statusCode} ${response.body.slice(0, 160)}`;
      assert.ok(response.statusCode < 500, what);
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      if (response.statusCode >= 400 && r.method !== "HEAD") {
        const answer = JSON.parse(response.body) as { message: unknown; status: unknown; documentation_url: unknown };
        assert.equal(typeof answer.message, "string", what);
        assert.equal(typeof answer.documentation_url, "string", what);
        assert.equal(answer.status, String(response.statusCode), what);
      }
      if (response.statusCode >= 400)
        assert.equal(await worldDigest(app.services.db), before, `refused, yet the world changed: ${what}`);
      else await revive(app, tokens);
    });
    // The generator must reach past authentication into the routes' own answers, not just 401s.
    // Some of those answers come a few times in 300 requests (an accepted change about 5), so a
    // run that has not met each yet goes on, up to four times as long, rather than fail by chance.
    const reachedEverything = () =>
      [200, 400, 401, 404, 422].every((status) => statuses.has(status)) &&
      [201, 202, 204].some((status) => statuses.has(status));
    const seed = process.env.CREDAUTH_FUZZ_SEED ? Number(process.env.CREDAUTH_FUZZ_SEED) : undefined;
    const chunk = Math.min(RUNS, 100);
    for (let done = 0; done < RUNS || (!reachedEverything() && done < 4 * RUNS); done += chunk)
      await fc.assert(property, { numRuns: chunk, seed: seed === undefined ? undefined : seed + done });
    const reached = [...statuses.keys()].sort();
    for (const status of [200, 400, 401, 404, 422])
      assert.ok(statuses.has(status), `no ${status} among ${JSON.stringify(Object.fromEntries(statuses))}`);
    assert.ok(
      reached.some((s) => s === 201 || s === 202 || s === 204),
      `no accepted change among ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
  });
});
