// The console's way in: a token exchanged for an HttpOnly cookie that works only under the
// console's prefix, changes that need the session's CSRF token, a session that dies with its token.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { buildApp } from "../../src/http/app.ts";
import { backends } from "../helpers/backends.ts";
import { bearer, startWorldApp, type TestApp, worldDigest } from "../helpers/world.ts";

const ADMIN_TOKEN = "console-admin-token-0123456789abcdef0123";

interface SignedIn {
  cookie: string;
  csrf: string;
  setCookie: string;
  body: { kind: string; login: string | null; csrf: string };
}

async function signIn(t: TestApp, token: string): Promise<SignedIn> {
  const r = await t.app.inject({ method: "POST", url: "/_credauth/console/session", payload: { token } });
  assert.equal(r.statusCode, 201, r.body);
  const setCookie = String(r.headers["set-cookie"]);
  const cookie = /^(credauth_console=[^;]+)/.exec(setCookie)![1]!;
  return { cookie, csrf: r.json().csrf, setCookie, body: r.json() };
}

for (const backend of backends()) {
  describe(`the console's session on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startWorldApp(backend, { adminToken: ADMIN_TOKEN })));
    after(() => t.close());

    it("serves its page and assets from credauth alone, with a strict content security policy", async () => {
      const page = await t.app.inject({ method: "GET", url: "/_credauth/console/" });
      assert.equal(page.statusCode, 200);
      assert.match(String(page.headers["content-type"]), /^text\/html/);
      assert.match(page.body, /<script type="module" src="\/_credauth\/console\/app\.js"><\/script>/);
      assert.match(String(page.headers["content-security-policy"]), /default-src 'none'; script-src 'self'/);
      assert.equal(page.headers["x-frame-options"], "DENY");
      assert.doesNotMatch(page.body, /https?:\/\//, "nothing loaded from elsewhere");
      // The page's modules, followed from app.js through their imports: each is served, as JavaScript.
      const loaded = new Set<string>();
      const pending = ["app.js"];
      for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
        if (loaded.has(name)) continue;
        loaded.add(name);
        const script = await t.app.inject({ method: "GET", url: `/_credauth/console/${name}` });
        assert.equal(script.statusCode, 200, name);
        assert.match(String(script.headers["content-type"]), /^text\/javascript/, name);
        for (const [, imported] of script.body.matchAll(/^import [^;]+ from "\.\/([^"]+)";$/gm))
          pending.push(imported!);
      }
      assert.ok(loaded.has("router.js") && loaded.has("admin.js"), [...loaded].join(", "));
      assert.equal((await t.app.inject({ method: "GET", url: "/_credauth/console/secrets.txt" })).statusCode, 404);
      const bare = await t.app.inject({ method: "GET", url: "/_credauth/console" });
      assert.equal(bare.statusCode, 302);
      assert.equal(bare.headers.location, "/_credauth/console/");
    });

    it("signs in only from the console's own page: JSON, from its own origin (no login CSRF)", async () => {
      const attempt = (headers: Record<string, string>, payload = JSON.stringify({ token: t.tokens.owenClassic })) =>
        t.app.inject({ method: "POST", url: "/_credauth/console/session", headers, payload });
      const crossSite: Record<string, string>[] = [
        { "content-type": "text/plain", origin: "https://evil.example" }, // a form or no-preflight fetch
        { "content-type": "text/plain" },
        { "content-type": "application/x-www-form-urlencoded" },
        { "content-type": "application/json", origin: "https://evil.example" },
        { "content-type": "application/json", origin: "null" },
        { "content-type": "application/json", "sec-fetch-site": "cross-site" },
        { "content-type": "application/json", "sec-fetch-site": "same-site" },
      ];
      for (const headers of crossSite) {
        const refused = await attempt(headers);
        assert.equal(refused.statusCode, 403, JSON.stringify(headers));
        assert.equal(refused.json().message.startsWith("Sign in from the console's own page"), true);
        assert.equal(refused.headers["set-cookie"], undefined, JSON.stringify(headers));
      }
      const own = await attempt({
        "content-type": "application/json; charset=utf-8",
        origin: "http://localhost:80",
        host: "localhost:80",
        "sec-fetch-site": "same-origin",
      });
      assert.equal(own.statusCode, 201, own.body);
      assert.match(String(own.headers["set-cookie"]), /^credauth_console=/);
    });

    it("exchanges a token for an HttpOnly, SameSite=Strict cookie scoped to the console, and stores only its hash", async () => {
      const refused = await t.app.inject({
        method: "POST",
        url: "/_credauth/console/session",
        payload: { token: "ghp_000000000000000000000000000000000000" },
      });
      assert.equal(refused.statusCode, 401);
      assert.equal(refused.headers["set-cookie"], undefined);

      const session = await signIn(t, t.tokens.owenClassic);
      assert.match(session.setCookie, /; Path=\/_credauth\/console; .*HttpOnly; SameSite=Strict/);
      assert.equal(session.body.kind, "token");
      assert.equal(session.body.login, "owen_emu");
      const now = await t.app.inject({
        method: "GET",
        url: "/_credauth/console/session",
        headers: { cookie: session.cookie },
      });
      assert.deepEqual(now.json(), session.body);

      const id = session.cookie.split("=")[1]!;
      const [row] = await t.app.services.db.query<{ dump: string }>(
        "select string_agg(row_to_json(s)::text, '') as dump from console_sessions s",
      );
      assert.ok(!row!.dump.includes(id) && !row!.dump.includes(t.tokens.owenClassic), "neither the id nor the token");
      const idHash = createHash("sha256").update(id).digest("hex");
      assert.ok(row!.dump.includes(idHash));
    });

    it("answers the API under the console's prefix to the cookie, and to nothing else", async () => {
      const session = await signIn(t, t.tokens.owenClassic);
      const user = await t.app.inject({
        method: "GET",
        url: "/_credauth/console/api/user",
        headers: { cookie: session.cookie },
      });
      assert.equal(user.statusCode, 200);
      assert.equal(user.json().login, "owen_emu");
      const headerOnly = await t.app.inject({
        method: "GET",
        url: "/_credauth/console/api/user",
        headers: bearer(t.tokens.owenClassic),
      });
      assert.equal(headerOnly.statusCode, 401, "an Authorization header does not count under the console's prefix");
      const cookieOutside = await t.app.inject({ method: "GET", url: "/user", headers: { cookie: session.cookie } });
      assert.equal(cookieOutside.statusCode, 401, "the cookie does not count outside it");
      const scopes = await t.app.inject({
        method: "GET",
        url: "/_credauth/console/api/_credauth/scopes",
        headers: { cookie: session.cookie },
      });
      assert.deepEqual(
        scopes.json().enterprises.map((e: { slug: string }) => e.slug),
        ["emu-corp"],
      );
    });

    it("refuses a change without the session's CSRF token, changing nothing; with it, the 202 points under the console", async () => {
      const session = await signIn(t, t.tokens.owenClassic);
      const url = "/_credauth/console/api/enterprises/emu-corp/credential-authorizations/gwen_emu/revoke";
      const digest = await worldDigest(t.app.services.db);
      for (const csrf of [undefined, "wrong", session.csrf.slice(1)]) {
        const r = await t.app.inject({
          method: "POST",
          url,
          headers: { cookie: session.cookie, ...(csrf ? { "x-csrf-token": csrf } : {}) },
          payload: {},
        });
        assert.equal(r.statusCode, 403, r.body);
        assert.match(r.json().message, /CSRF token is missing or wrong/);
      }
      assert.equal(await worldDigest(t.app.services.db), digest);
      const accepted = await t.app.inject({
        method: "POST",
        url,
        headers: { cookie: session.cookie, "x-csrf-token": session.csrf },
        payload: {},
      });
      assert.equal(accepted.statusCode, 202, accepted.body);
      assert.match(
        String(accepted.headers.location),
        /^http:\/\/127\.0\.0\.1:\d+\/_credauth\/console\/api\/_credauth\/revocations\/\d+$/,
      );
    });

    it("ends a session the moment its token is revoked, and at sign-out", async () => {
      const session = await signIn(t, t.tokens.annClassic);
      const call = () =>
        t.app.inject({ method: "GET", url: "/_credauth/console/api/user", headers: { cookie: session.cookie } });
      assert.equal((await call()).statusCode, 200);
      const byValue = await t.app.inject({
        method: "POST",
        url: "/credentials/revoke",
        payload: { credentials: [t.tokens.annClassic] },
      });
      assert.equal(byValue.statusCode, 202);
      assert.equal((await call()).statusCode, 401);
      assert.equal(
        (await t.app.inject({ method: "GET", url: "/_credauth/console/session", headers: { cookie: session.cookie } }))
          .statusCode,
        401,
      );

      const other = await signIn(t, t.tokens.owenClassic);
      const noCsrf = await t.app.inject({
        method: "DELETE",
        url: "/_credauth/console/session",
        headers: { cookie: other.cookie },
      });
      assert.equal(noCsrf.statusCode, 403);
      const out = await t.app.inject({
        method: "DELETE",
        url: "/_credauth/console/session",
        headers: { cookie: other.cookie, "x-csrf-token": other.csrf },
      });
      assert.equal(out.statusCode, 204);
      assert.match(String(out.headers["set-cookie"]), /credauth_console=;.*Expires=Thu, 01 Jan 1970/);
      const after = await t.app.inject({
        method: "GET",
        url: "/_credauth/console/api/user",
        headers: { cookie: other.cookie },
      });
      assert.equal(after.statusCode, 401);
    });

    it("lets a session signed in with the site-admin token use the admin API, and no GitHub route", async () => {
      const admin = await signIn(t, ADMIN_TOKEN);
      assert.deepEqual({ kind: admin.body.kind, login: admin.body.login }, { kind: "admin", login: null });
      const created = await t.app.inject({
        method: "POST",
        url: "/_credauth/console/api/_credauth/admin/users",
        headers: { cookie: admin.cookie, "x-csrf-token": admin.csrf },
        payload: { login: "console_made" },
      });
      assert.equal(created.statusCode, 201, created.body);
      const github = await t.app.inject({
        method: "GET",
        url: "/_credauth/console/api/user",
        headers: { cookie: admin.cookie },
      });
      assert.equal(github.statusCode, 401);
      const user = await signIn(t, t.tokens.owenClassic);
      const notAdmin = await t.app.inject({
        method: "POST",
        url: "/_credauth/console/api/_credauth/admin/users",
        headers: { cookie: user.cookie, "x-csrf-token": user.csrf },
        payload: { login: "not_made" },
      });
      assert.equal(notAdmin.statusCode, 401, "a token's session is not the admin's");

      // Configuration changed to another admin token: sessions of the old one open nothing.
      const rotated = await buildApp(
        { ...t.app.services.config, adminToken: "console-admin-token-rotated-0123456789abcd" },
        { db: t.app.services.db },
      );
      try {
        const stale = await rotated.inject({
          method: "POST",
          url: "/_credauth/console/api/_credauth/admin/users",
          headers: { cookie: admin.cookie, "x-csrf-token": admin.csrf },
          payload: { login: "after_rotation" },
        });
        assert.equal(stale.statusCode, 401);
        const session = await rotated.inject({
          method: "GET",
          url: "/_credauth/console/session",
          headers: { cookie: admin.cookie },
        });
        assert.equal(session.statusCode, 401);
      } finally {
        await rotated.close();
      }
    });

    it("removes expired sessions when a worker starts (and hourly), not only at the next sign-in", async () => {
      const { db } = t.app.services;
      await db.query(
        `insert into console_sessions (id_hash, kind, token_hash, expires_at)
         values (sha256('expired-a'), 'token', sha256('t'), clock_timestamp() - interval '1 minute'),
                (sha256('live-b'), 'token', sha256('t'), clock_timestamp() + interval '1 hour')`,
      );
      const worker = await buildApp({ ...t.app.services.config, runWorker: true }, { db });
      try {
        let left: { expired: number; live: number } | undefined;
        for (let i = 0; i < 100; i++) {
          [left] = await db.query<{ expired: number; live: number }>(
            `select count(*) filter (where id_hash = sha256('expired-a'))::int as expired,
                    count(*) filter (where id_hash = sha256('live-b'))::int as live
               from console_sessions`,
          );
          if (left!.expired === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        assert.deepEqual(left, { expired: 0, live: 1 });
      } finally {
        await worker.close();
      }
    });
  });
}
