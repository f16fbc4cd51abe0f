// credauth from test code: `import { startCredauth } from "credauth"` runs it in the calling process,
// on an in-memory embedded database with its worker, listening on 127.0.0.1. Every ability goes
// through the same admin routes as over HTTP (src/http/harness/routes.ts), so a suite in another
// language gets exactly what this one does. Several instances in one process share nothing.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { DEMO_FIXTURE, demoTokens } from "../cli/demo.ts";
import { parseConfig } from "../config.ts";
import { parseFixture } from "../domain/fixture.ts";
import type { CredentialType } from "../domain/model.ts";
import { buildApp } from "../http/app.ts";
import type { JournalEntry } from "../http/harness/state.ts";
import { checkedFixture } from "../store/fixture-names.ts";
import { openPglite } from "../store/pglite.ts";
import { applyFixture } from "../store/seed.ts";
import { recordStartState } from "../store/snapshots.ts";
import { migratedDump } from "./template.ts";

export interface StartOptions {
  /** A fixture file (YAML or JSON) or the fixture itself; the demo world when absent. */
  fixture?: string | object;
  /** Port on 127.0.0.1; 0 (the default) lets the system choose. */
  port?: number;
  /** The site-admin token (a random one when absent). */
  adminToken?: string;
  /** GitHub's rate limits enforced (the default, as `credauth serve`), or none. */
  rateLimit?: "github" | "off";
  /** Start the clock every rule reads at this ISO 8601 time (default: now). */
  clock?: string;
  /** What credauth logs, to standard output (default: nothing). */
  logLevel?: "silent" | "error" | "warn" | "info" | "debug";
}

export interface HarnessToken {
  token: string;
  type: CredentialType;
  note: string | null;
}

/** A GitHub App of the fixture: what signing in as it takes, and where it is installed. */
export interface HarnessApp {
  id: number;
  clientId: string;
  clientSecret: string;
  /** PEM, as `@octokit/auth-app`'s `privateKey` and PyGithub's `AppAuth` take it. */
  privateKey: string;
  installations: { account: string; id: number }[];
}

export interface Clock {
  /** The time every rule reads. */
  now: () => Date;
  /** Moves it forward: "90d", "12h", "30m", "45s". */
  advance(duration: string): Promise<Date>;
  /** Moves it forward to a time. */
  set(isoTime: string): Promise<Date>;
}

/** A fault rule, as POST /_credauth/admin/faults takes it. */
export interface FaultRuleInput {
  method?: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** A glob over the path without base and query: `*` is one segment. */
  path?: string;
  status?: 500 | 502 | 503 | 504 | "secondary_rate_limit" | "primary_rate_limit";
  delay_ms?: number;
  times?: number;
  probability?: number;
}

export interface FaultRule {
  id: number;
  method: string | null;
  path: string | null;
  status: FaultRuleInput["status"] | null;
  delay_ms: number;
  /** How many more requests it answers; null: every one. */
  times: number | null;
  probability: number;
}

export interface Faults {
  add(rule: FaultRuleInput): Promise<FaultRule>;
  list(): Promise<FaultRule[]>;
  remove(id: number): Promise<void>;
  clear(): Promise<void>;
}

/** One answered request, as GET /_credauth/admin/requests lists it: never a token or a body. */
export type { JournalEntry };

export interface RequestFilter {
  method?: string;
  /** A path glob, as a fault rule's. */
  path?: string;
  status?: number;
  since_id?: number;
}

/** A user's credentials and authorizations, as GET /_credauth/admin/users/{login} shows them. */
export interface UserStanding {
  login: string;
  credentials: {
    id: number;
    type: CredentialType;
    note: string | null;
    token_last_eight: string | null;
    fingerprint: string | null;
    state: "live" | "destroyed" | "expired";
    created_at: string;
    expires_at: string | null;
    destroyed_at: string | null;
    authorizations: {
      organization: string;
      state: "live" | "revoked";
      credential_authorized_at: string;
      credential_accessed_at: string | null;
      revoked_at: string | null;
    }[];
  }[];
}

export interface Credauth {
  /** Where it listens: http://127.0.0.1:PORT, GitHub's API at the root (and under /api/v3). */
  url: string;
  adminToken: string;
  /** The tokens the fixture generated (and the demo world's), by login. */
  tokens: Record<string, HarnessToken[]>;
  /** The fixture's GitHub Apps (the demo's), by slug, with their keys and secrets, given or generated. */
  apps: Record<string, HarnessApp>;
  /** Back to the state right after start-up: data, jobs, ids, the clock, the rate-limit counts. */
  reset(): Promise<void>;
  snapshot(name: string): Promise<void>;
  restore(name: string): Promise<void>;
  clock: Clock;
  /** Fault rules: GitHub's 5xx or rate-limit answers, or delays, for the requests they match. */
  faults: Faults;
  /** The requests answered, oldest first (the last 10,000). */
  requests(filter?: RequestFilter): Promise<JournalEntry[]>;
  /** A user's credentials and authorizations, in the state every read sees; null for no such user. */
  user(login: string): Promise<UserStanding | null>;
  stop(): Promise<void>;
}

/** Thrown when credauth refuses a harness call: its status and GitHub-shaped message. */
export class HarnessError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "HarnessError";
    this.status = status;
  }
}

function fixtureText(fixture: StartOptions["fixture"]): { text: string; source: string } {
  if (fixture === undefined) return { text: readFileSync(DEMO_FIXTURE, "utf8"), source: DEMO_FIXTURE };
  if (typeof fixture === "string") return { text: readFileSync(fixture, "utf8"), source: fixture };
  return { text: JSON.stringify(fixture), source: "fixture" };
}

export async function startCredauth(options: StartOptions = {}): Promise<Credauth> {
  const adminToken = options.adminToken ?? `credauth_admin_${randomBytes(20).toString("hex")}`;
  // The environment is not read: a suite's DATABASE_URL or PORT must not change what it tests against.
  const config = parseConfig(
    {
      data: ":memory:",
      port: options.port ?? 0,
      host: "127.0.0.1",
      adminToken,
      rateLimit: options.rateLimit ?? "github",
      logLevel: options.logLevel ?? "silent",
      logFormat: "pretty",
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    },
    {},
  );
  const db = await openPglite(undefined, { loadDataDir: await migratedDump() });
  let app: Awaited<ReturnType<typeof buildApp>>;
  try {
    app = await buildApp(config, { db });
  } catch (error) {
    await db.close();
    throw error;
  }
  // The app was handed its database: closing the app leaves it open, so stopping closes both.
  const stop = async () => {
    await app.close();
    await db.close();
  };
  try {
    const { text, source } = fixtureText(options.fixture);
    const parsed = await checkedFixture(db, () => parseFixture(text, source));
    const report = await applyFixture(db, parsed, { secrets: app.services.secrets });
    await recordStartState(db);
    await app.listen({ host: config.http.host, port: config.http.port });

    // No prototype: a login such as "constructor" is a key like any other.
    const tokens: Record<string, HarnessToken[]> = Object.create(null);
    const add = (login: string, token: HarnessToken) => {
      tokens[login] = [...(tokens[login] ?? []), token];
    };
    if (options.fixture === undefined)
      for (const demo of demoTokens())
        add(demo.login, { token: demo.token, type: demo.type as CredentialType, note: demo.note || null });
    for (const created of report.credentials)
      if (created.token !== undefined)
        add(created.login, { token: created.token, type: created.type, note: created.note });
    const apps: Record<string, HarnessApp> = Object.create(null);
    for (const loaded of report.apps) {
      const declared = parsed.fixture.apps?.find((app) => app.slug === loaded.slug);
      apps[loaded.slug] = {
        id: loaded.id,
        clientId: loaded.clientId,
        clientSecret: (loaded.clientSecret ?? declared?.client_secret)!,
        privateKey: (loaded.privateKey ?? declared?.private_key)!,
        installations: loaded.installations,
      };
    }

    const call = async (method: "GET" | "POST" | "PUT" | "DELETE", path: string, body?: object) => {
      const answer = await app.inject({
        method,
        url: `/_credauth/admin${path}`,
        headers: { authorization: `Bearer ${adminToken}` },
        ...(body === undefined ? {} : { payload: body }),
      });
      if (answer.statusCode >= 300) {
        const message = (answer.json() as { message?: string }).message ?? answer.statusMessage;
        throw new HarnessError(answer.statusCode, message);
      }
      return answer.body === "" ? null : answer.json();
    };
    const { port } = app.server.address() as AddressInfo;
    const moved = async (body: object) => new Date((await call("POST", "/clock", body)).now);
    return {
      url: `http://127.0.0.1:${port}`,
      adminToken,
      tokens,
      apps,
      reset: async () => void (await call("POST", "/reset")),
      snapshot: async (name) => void (await call("PUT", `/snapshots/${encodeURIComponent(name)}`)),
      restore: async (name) => void (await call("POST", `/snapshots/${encodeURIComponent(name)}/restore`)),
      clock: {
        now: () => app.services.clock.now(),
        advance: (duration) => moved({ advance: duration }),
        set: (isoTime) => moved({ set: isoTime }),
      },
      faults: {
        add: (rule) => call("POST", "/faults", rule),
        list: () => call("GET", "/faults"),
        remove: async (id) => void (await call("DELETE", `/faults/${encodeURIComponent(String(id))}`)),
        clear: async () => void (await call("DELETE", "/faults")),
      },
      requests: (filter = {}) => {
        const query = new URLSearchParams(
          Object.entries(filter).flatMap(([name, value]): [string, string][] =>
            value === undefined ? [] : [[name, String(value)]],
          ),
        );
        return call("GET", `/requests${query.size > 0 ? `?${query}` : ""}`);
      },
      user: async (login) => {
        try {
          return await call("GET", `/users/${encodeURIComponent(login)}`);
        } catch (error) {
          if (error instanceof HarnessError && error.status === 404) return null;
          throw error;
        }
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
