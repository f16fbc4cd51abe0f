// The OpenAPI description of what credauth adds to GitHub's API: the job resource, the dry runs,
// the admin API and the operational endpoints. GitHub's own operations come from the vendored
// contract unchanged; these are written here, beside nothing else, and a test validates both the
// document and credauth's answers against it.
import { CONSOLE_ASSETS } from "../console/assets.ts";

const ERROR = { $ref: "#/components/schemas/basic-error" };
const json = (schema: object) => ({ "application/json": { schema } });
const error = (description: string) => ({ description, content: json(ERROR) });
const NOT_FOUND = error("Not found, or not visible to the caller");
const REQUIRES_AUTHENTICATION = error("Requires authentication");
const VALIDATION_FAILED = {
  description: "Validation failed",
  content: json({ $ref: "#/components/schemas/validation-error-simple" }),
};
const NO_CONTENT = { description: "Done" };
const AS_GITHUB_TOKEN = [{ githubToken: [] }];
const AS_SITE_ADMIN = [{ siteAdminToken: [] }];

const pathParameter = (name: string, description: string, type: "string" | "integer" = "string") => ({
  name,
  in: "path",
  required: true,
  description,
  schema: { type },
});
const ORG = pathParameter("org", "The organization's login");
const REVOCATION_ID = pathParameter("revocation_id", "The revocation's id (from the 202's Location)", "integer");

/** Counts by credential type, with their total. */
const COUNTS = {
  type: "object",
  required: ["total"],
  properties: { total: { type: "integer", minimum: 0 } },
  additionalProperties: { type: "integer", minimum: 0 },
};

const REVOCATION = {
  type: "object",
  description: "A revocation request and its background job",
  required: ["id", "url", "state", "scope", "requester", "created_at", "started_at", "completed_at", "error", "counts"],
  properties: {
    id: { type: "integer" },
    url: { type: "string", format: "uri" },
    state: { type: "string", enum: ["queued", "running", "succeeded", "failed"] },
    scope: {
      type: "object",
      required: ["enterprise", "organization", "username", "credential_type", "revoke_credentials"],
      properties: {
        enterprise: { type: "string" },
        organization: { type: "string", nullable: true },
        username: { type: "string", nullable: true },
        credential_type: { type: "string", nullable: true },
        revoke_credentials: { type: "boolean" },
      },
    },
    requester: {
      type: "object",
      required: ["login", "id"],
      properties: { login: { type: "string" }, id: { type: "integer", nullable: true } },
    },
    created_at: { type: "string", format: "date-time" },
    started_at: { type: "string", format: "date-time", nullable: true },
    completed_at: { type: "string", format: "date-time", nullable: true },
    error: { type: "string", nullable: true },
    counts: {
      type: "object",
      description: "Exact counts of what the job has done so far",
      required: ["authorizations_revoked", "credentials_destroyed"],
      properties: {
        authorizations_revoked: { $ref: "#/components/schemas/credauth-counts" },
        credentials_destroyed: { $ref: "#/components/schemas/credauth-counts" },
      },
    },
  },
};

const PREVIEW = {
  type: "object",
  description: "What the revoke request would do now, exactly; nothing is changed",
  required: [
    "dry_run",
    "would_answer",
    "authorizations_revoked",
    "credentials_destroyed",
    "affected_users",
    "caller_token",
  ],
  properties: {
    dry_run: { type: "boolean", enum: [true] },
    would_answer: {
      type: "object",
      required: ["status", "message"],
      properties: {
        status: { type: "integer", enum: [202] },
        message: { type: "string" },
        warning: { type: "string" },
      },
    },
    authorizations_revoked: { $ref: "#/components/schemas/credauth-counts" },
    credentials_destroyed: { $ref: "#/components/schemas/credauth-counts" },
    affected_users: { type: "integer", minimum: 0 },
    caller_token: {
      type: "object",
      required: ["authorization_revoked", "destroyed"],
      properties: { authorization_revoked: { type: "boolean" }, destroyed: { type: "boolean" } },
    },
  },
};

const CREATED_CREDENTIAL = {
  type: "object",
  required: ["id", "login", "type", "note"],
  properties: {
    id: { type: "integer" },
    login: { type: "string" },
    type: { type: "string" },
    note: { type: "string", nullable: true },
    token: { type: "string", description: "Only for a token credauth generated; shown this once" },
  },
};

const CREATED_COUNTS = ["enterprises", "organizations", "users", "credentials", "authorizations", "apps"];

const LOAD_REPORT = {
  type: "object",
  required: ["created", "credentials", "apps"],
  properties: {
    created: {
      type: "object",
      required: CREATED_COUNTS,
      properties: Object.fromEntries(CREATED_COUNTS.map((name) => [name, { type: "integer", minimum: 0 }])),
    },
    credentials: { type: "array", items: { $ref: "#/components/schemas/credauth-created-credential" } },
    apps: {
      type: "array",
      items: {
        type: "object",
        required: ["slug", "id", "client_id", "installations"],
        properties: {
          slug: { type: "string" },
          id: { type: "integer" },
          client_id: { type: "string" },
          client_secret: { type: "string", description: "Only when credauth generated it; shown this once" },
          private_key: { type: "string", description: "PEM; only when credauth generated it; shown this once" },
          installations: {
            type: "array",
            items: {
              type: "object",
              required: ["account", "id"],
              properties: { account: { type: "string" }, id: { type: "integer" } },
            },
          },
        },
      },
    },
  },
};

/** A request body in the fixture file's format (README, "Fixtures"): checked as a fixture is. */
const fixtureBody = (description: string) => ({
  required: true,
  description,
  content: json({ type: "object", additionalProperties: true }),
});

/** GitHub's revoke endpoints that have a dry run under /_credauth/dry-run (the same path after it). */
export const DRY_RUN_OF = [
  "/enterprises/{enterprise}/credential-authorizations/revoke-all",
  "/enterprises/{enterprise}/credential-authorizations/revoke-credential-type",
  "/enterprises/{enterprise}/credential-authorizations/{username}/revoke",
  "/enterprises/{enterprise}/credential-authorizations/{username}/revoke-credential-type",
  "/orgs/{org}/credential-authorizations/revoke-all",
  "/orgs/{org}/credential-authorizations/revoke-credential-type",
  "/orgs/{org}/credential-authorizations/{username}/revoke",
  "/orgs/{org}/credential-authorizations/{username}/revoke-credential-type",
] as const;

export interface GithubOperation {
  operationId: string;
  parameters?: object[];
  requestBody?: object;
  responses: Record<string, object>;
}

/**
 * The dry run of a GitHub revoke operation: its parameters and body as GitHub describes them (it
 * checks them the same way), its refusals, and a preview instead of the 202.
 */
export function dryRunOperation(githubPath: string, github: GithubOperation): object {
  const { "202": _accepted, ...refusals } = github.responses;
  return {
    operationId: `credauth/dry-run-${github.operationId.replace(/^[^/]*\//, "")}`,
    summary: `Preview POST ${githubPath}`,
    description: `What \`POST ${githubPath}\` would do now, counted exactly; nothing is changed. The same rules and refusals as the endpoint itself.`,
    tags: ["credauth"],
    security: AS_GITHUB_TOKEN,
    ...(github.parameters ? { parameters: github.parameters } : {}),
    ...(github.requestBody ? { requestBody: github.requestBody } : {}),
    responses: {
      "200": {
        description: "The preview",
        content: json({ $ref: "#/components/schemas/credauth-revocation-preview" }),
      },
      ...refusals,
    },
  };
}

/** The dry run of POST /credentials/revoke: the same body, and only how many values came. */
export function credentialsDryRunOperation(github: GithubOperation): object {
  const { "202": _accepted, ...refusals } = github.responses;
  return {
    operationId: "credauth/dry-run-revoke-credentials",
    summary: "Preview POST /credentials/revoke",
    description:
      "Checks the request as `POST /credentials/revoke` would; says how many values were submitted, nothing about them.",
    tags: ["credauth"],
    ...(github.requestBody ? { requestBody: github.requestBody } : {}),
    responses: {
      "200": {
        description: "The preview",
        content: json({
          type: "object",
          required: ["dry_run", "would_answer", "credentials_submitted"],
          properties: {
            dry_run: { type: "boolean", enum: [true] },
            would_answer: {
              type: "object",
              required: ["status"],
              properties: { status: { type: "integer", enum: [202] } },
            },
            credentials_submitted: { type: "integer" },
          },
        }),
      },
      ...refusals,
    },
  };
}

const roleParameter = (roles: string[]) => ({
  name: "role",
  in: "path",
  required: true,
  schema: { type: "string", enum: roles },
});
const LOGIN = pathParameter("login", "The user's login");
const SLUG = pathParameter("slug", "The enterprise's slug");
const CREDENTIAL_ID = pathParameter("id", "The credential's id", "integer");

function admin(operationId: string, summary: string, responses: object, extra: object = {}) {
  return {
    operationId: `credauth/admin-${operationId}`,
    summary,
    tags: ["credauth-admin"],
    security: AS_SITE_ADMIN,
    ...extra,
    responses: { ...responses, "401": REQUIRES_AUTHENTICATION },
  };
}
function harness(operationId: string, summary: string, responses: object, extra: object = {}) {
  return { ...admin(operationId, summary, responses, extra), tags: ["credauth-harness"] };
}
const SNAPSHOT_NAME = {
  name: "name",
  in: "path",
  required: true,
  description: "Letters, digits, '.', '_' and '-', at most 64",
  schema: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$" },
};
const SNAPSHOT = {
  type: "object",
  required: ["name", "taken_at"],
  properties: { name: { type: "string" }, taken_at: { type: "string", format: "date-time" } },
};
const FAULT = {
  type: "object",
  required: ["id", "method", "path", "status", "delay_ms", "times", "probability"],
  properties: {
    id: { type: "integer" },
    method: { type: "string", nullable: true },
    path: { type: "string", nullable: true },
    status: { anyOf: [{ type: "integer", nullable: true }, { type: "string" }] },
    delay_ms: { type: "integer" },
    times: { type: "integer", nullable: true, description: "How many more requests it answers; null: every one" },
    probability: { type: "number" },
  },
};
const JOURNAL_ENTRY = {
  type: "object",
  required: ["id", "at", "method", "path", "route", "status", "actor", "token_type", "fault", "duration_ms"],
  properties: {
    id: { type: "integer" },
    at: { type: "string", format: "date-time", description: "On credauth's clock" },
    method: { type: "string" },
    path: { type: "string", description: "Without base path and query" },
    route: {
      type: "string",
      nullable: true,
      example: "/enterprises/{enterprise}/credential-authorizations/{username}/revoke",
    },
    status: { type: "integer" },
    actor: {
      type: "string",
      nullable: true,
      description: "The authenticated user's login (a GitHub App's bot account for its JWT)",
    },
    token_type: {
      type: "string",
      nullable: true,
      description: "The credential type of the token, or github_app_jwt for a GitHub App's JWT",
    },
    fault: { type: "integer", nullable: true, description: "The fault rule that answered or delayed it" },
    duration_ms: { type: "number" },
  },
};
const CLOCK = {
  type: "object",
  required: ["now", "offset_seconds"],
  properties: {
    now: { type: "string", format: "date-time" },
    offset_seconds: { type: "integer", description: "How far ahead of real time" },
  },
};
const CREATED_REPORT = {
  "201": { description: "Created", content: json({ $ref: "#/components/schemas/credauth-load-report" }) },
  "422": VALIDATION_FAILED,
};

export const EXTENSION_PATHS: Record<string, object> = {
  "/_credauth/revocations": {
    get: {
      operationId: "credauth/list-revocations",
      summary: "List revocation jobs",
      description:
        "The revocation jobs the caller could have requested, newest first: an enterprise's for its owners and credential managers, an organization's for its owners.",
      tags: ["credauth"],
      security: AS_GITHUB_TOKEN,
      parameters: [
        { name: "state", in: "query", schema: { type: "string", enum: ["queued", "running", "succeeded", "failed"] } },
        { name: "enterprise", in: "query", schema: { type: "string" } },
        { name: "organization", in: "query", schema: { type: "string" } },
        { name: "per_page", in: "query", schema: { type: "integer", default: 30, maximum: 100 } },
        { name: "page", in: "query", schema: { type: "integer", default: 1 } },
      ],
      responses: {
        "200": {
          description: "The jobs; GitHub's Link header pages them",
          content: json({ type: "array", items: { $ref: "#/components/schemas/credauth-revocation" } }),
        },
        "401": REQUIRES_AUTHENTICATION,
        "422": VALIDATION_FAILED,
      },
    },
  },
  "/_credauth/revocations/{revocation_id}": {
    get: {
      operationId: "credauth/get-revocation",
      summary: "Get a revocation job",
      description: "The job behind a revoke endpoint's 202 (its Location header): state, scope and exact counts.",
      tags: ["credauth"],
      security: AS_GITHUB_TOKEN,
      parameters: [REVOCATION_ID],
      responses: {
        "200": { description: "The job", content: json({ $ref: "#/components/schemas/credauth-revocation" }) },
        "401": REQUIRES_AUTHENTICATION,
        "404": NOT_FOUND,
      },
    },
  },
  "/_credauth/revocations/{revocation_id}/events": {
    get: {
      operationId: "credauth/follow-revocation",
      summary: "Follow a revocation job",
      description:
        "Server-sent events: a `revocation` event with the job (as GET …/{revocation_id}) now and at each change, until it has succeeded or failed; then the stream ends.",
      tags: ["credauth"],
      security: AS_GITHUB_TOKEN,
      parameters: [REVOCATION_ID],
      responses: {
        "200": {
          description: "The event stream; each event's data is a credauth-revocation",
          content: { "text/event-stream": { schema: { type: "string" } } },
        },
        "401": REQUIRES_AUTHENTICATION,
        "404": NOT_FOUND,
      },
    },
  },
  "/_credauth/revocations/{revocation_id}/notifications": {
    get: {
      operationId: "credauth/list-revocation-notifications",
      summary: "List a revocation's notifications",
      description:
        "The delivery log of a settled job: the email to each affected user (by login) and the post to each webhook, with every delivery attempt.",
      tags: ["credauth"],
      security: AS_GITHUB_TOKEN,
      parameters: [REVOCATION_ID],
      responses: {
        "200": {
          description: "The notifications, oldest first",
          content: json({ type: "array", items: { $ref: "#/components/schemas/credauth-notification" } }),
        },
        "401": REQUIRES_AUTHENTICATION,
        "404": NOT_FOUND,
      },
    },
  },
  "/_credauth/scopes": {
    get: {
      operationId: "credauth/list-scopes",
      summary: "List the enterprises and organizations you manage",
      description:
        "Where the caller may revoke and read jobs: enterprises they own or manage credentials of, organizations they own (or the account an App is installed on).",
      tags: ["credauth"],
      security: AS_GITHUB_TOKEN,
      responses: {
        "200": {
          description: "The scopes",
          content: json({
            type: "object",
            required: ["enterprises", "organizations"],
            properties: {
              enterprises: {
                type: "array",
                items: {
                  type: "object",
                  required: ["slug", "name", "emu"],
                  properties: { slug: { type: "string" }, name: { type: "string" }, emu: { type: "boolean" } },
                },
              },
              organizations: {
                type: "array",
                items: {
                  type: "object",
                  required: ["login", "enterprise"],
                  properties: { login: { type: "string" }, enterprise: { type: "string" } },
                },
              },
            },
          }),
        },
        "401": REQUIRES_AUTHENTICATION,
      },
    },
  },
  "/_credauth/console": {
    get: {
      operationId: "credauth/console-redirect",
      summary: "The web console",
      description: "Redirects to /_credauth/console/.",
      tags: ["credauth-console"],
      responses: { "302": { description: "To the console's page" } },
    },
  },
  "/_credauth/console/": {
    get: {
      operationId: "credauth/console",
      summary: "The web console's page",
      description:
        "The console calls the API under /_credauth/console/api/…, where every route above answers to the console's session cookie (and to nothing else), a change needing the session's X-CSRF-Token.",
      tags: ["credauth-console"],
      responses: { "200": { description: "HTML", content: { "text/html": { schema: { type: "string" } } } } },
    },
  },
  "/_credauth/console/{asset}": {
    get: {
      operationId: "credauth/console-asset",
      summary: "The console's script modules and style sheet",
      tags: ["credauth-console"],
      parameters: [
        { name: "asset", in: "path", required: true, schema: { type: "string", enum: [...CONSOLE_ASSETS.keys()] } },
      ],
      responses: {
        "200": { description: "JavaScript or CSS", content: { "text/javascript": { schema: { type: "string" } } } },
        "404": NOT_FOUND,
      },
    },
  },
  "/_credauth/console/session": {
    get: {
      operationId: "credauth/console-session",
      summary: "Who is signed in to the console",
      tags: ["credauth-console"],
      responses: {
        "200": { description: "The session", content: json({ $ref: "#/components/schemas/credauth-console-session" }) },
        "401": REQUIRES_AUTHENTICATION,
      },
    },
    post: {
      operationId: "credauth/console-sign-in",
      summary: "Sign in to the console",
      description:
        "Exchanges a token (or the site-admin token) for an HttpOnly, SameSite=Strict session cookie scoped to /_credauth/console.",
      tags: ["credauth-console"],
      requestBody: {
        required: true,
        content: json({ type: "object", required: ["token"], properties: { token: { type: "string" } } }),
      },
      responses: {
        "201": { description: "Signed in", content: json({ $ref: "#/components/schemas/credauth-console-session" }) },
        "401": error("Bad credentials"),
      },
    },
    delete: {
      operationId: "credauth/console-sign-out",
      summary: "Sign out of the console",
      tags: ["credauth-console"],
      responses: { "204": NO_CONTENT, "403": error("The session's CSRF token is missing or wrong") },
    },
  },
  "/_credauth/admin/reset": {
    post: harness(
      "reset",
      "Reset to the state recorded at start-up",
      {
        "204": NO_CONTENT,
        "409": error("No start-up state was recorded, or it was taken at another schema version"),
      },
      {
        description:
          "Restores the snapshot the server took once it loaded its world at start-up (--seed, --demo on an empty database, or startCredauth): every table, the queued jobs, the ids' sequences and the clock; the rate-limit counts start over.",
      },
    ),
  },
  "/_credauth/admin/snapshots": {
    get: harness("list-snapshots", "List the snapshots", {
      "200": { description: "The snapshots, oldest first", content: json({ type: "array", items: SNAPSHOT }) },
    }),
  },
  "/_credauth/admin/snapshots/{name}": {
    put: harness(
      "save-snapshot",
      "Save the whole state as a named snapshot (replacing one of that name)",
      { "201": { description: "Saved", content: json(SNAPSHOT) }, "422": VALIDATION_FAILED },
      { parameters: [SNAPSHOT_NAME] },
    ),
    delete: harness(
      "delete-snapshot",
      "Delete a snapshot",
      { "204": NO_CONTENT, "404": NOT_FOUND },
      { parameters: [SNAPSHOT_NAME] },
    ),
  },
  "/_credauth/admin/snapshots/{name}/restore": {
    post: harness(
      "restore-snapshot",
      "Bring back the state saved as a snapshot",
      {
        "204": NO_CONTENT,
        "404": NOT_FOUND,
        "409": error("The snapshot was taken at another schema version"),
      },
      { parameters: [SNAPSHOT_NAME] },
    ),
  },
  "/_credauth/admin/clock": {
    get: harness("get-clock", "The clock every rule reads", {
      "200": { description: "The clock", content: json(CLOCK) },
    }),
    post: harness(
      "move-clock",
      "Move the clock forward, by a duration or to a time",
      { "200": { description: "The clock, moved", content: json(CLOCK) }, "422": VALIDATION_FAILED },
      {
        requestBody: {
          required: true,
          content: json({
            type: "object",
            properties: {
              advance: { type: "string", pattern: "^\\d{1,9}(\\.\\d{1,3})?[smhd]$", example: "90d" },
              set: { type: "string", format: "date-time" },
            },
            description: "Exactly one of advance and set; the clock never moves back.",
          }),
        },
      },
    ),
  },
  "/_credauth/admin/faults": {
    post: harness(
      "add-fault",
      "Add a fault rule: GitHub's answer for a status or rate limit, or a delay, for the requests it matches",
      { "201": { description: "Added", content: json(FAULT) }, "422": VALIDATION_FAILED },
      {
        requestBody: {
          required: true,
          content: json({
            type: "object",
            additionalProperties: false,
            properties: {
              method: { type: "string", enum: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] },
              path: {
                type: "string",
                description: "A glob over the path without base and query; * is one segment",
                example: "/enterprises/*/credential-authorizations/*/revoke",
              },
              status: {
                oneOf: [
                  { type: "integer", enum: [500, 502, 503, 504] },
                  { type: "string", enum: ["secondary_rate_limit", "primary_rate_limit"] },
                ],
              },
              delay_ms: { type: "integer", minimum: 0, maximum: 30000 },
              times: { type: "integer", minimum: 1 },
              probability: { type: "number", minimum: 0, exclusiveMinimum: true, maximum: 1 },
            },
          }),
        },
      },
    ),
    get: harness("list-faults", "The fault rules in force, in the order they are tried", {
      "200": { description: "The rules", content: json({ type: "array", items: FAULT }) },
    }),
    delete: harness("clear-faults", "Remove every fault rule", { "204": NO_CONTENT }),
  },
  "/_credauth/admin/faults/{id}": {
    delete: harness(
      "remove-fault",
      "Remove a fault rule",
      { "204": NO_CONTENT, "404": NOT_FOUND },
      { parameters: [pathParameter("id", "The rule's id", "integer")] },
    ),
  },
  "/_credauth/admin/requests": {
    get: harness(
      "list-requests",
      "The request journal, oldest first: the last 10,000 answers, the admin API's own left out; never a token or a body",
      {
        "200": { description: "The requests", content: json({ type: "array", items: JOURNAL_ENTRY }) },
        "422": VALIDATION_FAILED,
      },
      {
        parameters: [
          { name: "method", in: "query", schema: { type: "string" } },
          { name: "path", in: "query", description: "A path glob, as a fault rule's", schema: { type: "string" } },
          { name: "status", in: "query", schema: { type: "integer" } },
          { name: "since_id", in: "query", description: "Only requests after this one", schema: { type: "integer" } },
        ],
      },
    ),
    delete: harness("clear-requests", "Empty the request journal", { "204": NO_CONTENT }),
  },
  "/_credauth/admin/fixtures": {
    post: admin("load-fixture", "Load a fixture", CREATED_REPORT, {
      requestBody: fixtureBody("A whole fixture: enterprises and users"),
    }),
  },
  "/_credauth/admin/enterprises": {
    post: admin("create-enterprise", "Create an enterprise", CREATED_REPORT, {
      requestBody: fixtureBody("One `enterprises[]` entry"),
    }),
  },
  "/_credauth/admin/enterprises/{slug}": {
    delete: admin(
      "delete-enterprise",
      "Delete an enterprise",
      { "204": NO_CONTENT, "404": NOT_FOUND },
      { parameters: [SLUG] },
    ),
  },
  "/_credauth/admin/enterprises/{slug}/organizations": {
    post: admin(
      "create-organization",
      "Create an organization in an enterprise",
      { ...CREATED_REPORT, "404": NOT_FOUND },
      { parameters: [SLUG], requestBody: fixtureBody("One `organizations[]` entry") },
    ),
  },
  "/_credauth/admin/enterprises/{slug}/{role}/{login}": {
    put: admin(
      "add-enterprise-role",
      "Give a user a role in an enterprise",
      { "204": NO_CONTENT, "404": NOT_FOUND, "422": VALIDATION_FAILED },
      { parameters: [SLUG, roleParameter(["owners", "credential_managers", "guest_collaborators"]), LOGIN] },
    ),
    delete: admin(
      "remove-enterprise-role",
      "Take a role in an enterprise from a user",
      { "204": NO_CONTENT, "404": NOT_FOUND, "422": VALIDATION_FAILED },
      { parameters: [SLUG, roleParameter(["owners", "credential_managers", "guest_collaborators"]), LOGIN] },
    ),
  },
  "/_credauth/admin/organizations/{org}": {
    delete: admin(
      "delete-organization",
      "Delete an organization",
      { "204": NO_CONTENT, "404": NOT_FOUND },
      { parameters: [ORG] },
    ),
  },
  "/_credauth/admin/organizations/{org}/{role}/{login}": {
    put: admin(
      "add-organization-role",
      "Give a user a role in an organization",
      { "204": NO_CONTENT, "404": NOT_FOUND, "422": VALIDATION_FAILED },
      { parameters: [ORG, roleParameter(["owners", "members", "outside_collaborators"]), LOGIN] },
    ),
    delete: admin(
      "remove-organization-role",
      "Take a role in an organization from a user",
      { "204": NO_CONTENT, "404": NOT_FOUND, "422": VALIDATION_FAILED },
      { parameters: [ORG, roleParameter(["owners", "members", "outside_collaborators"]), LOGIN] },
    ),
  },
  "/_credauth/admin/users": {
    post: admin("create-user", "Create a user", CREATED_REPORT, { requestBody: fixtureBody("One `users[]` entry") }),
  },
  "/_credauth/admin/users/{login}": {
    get: harness(
      "get-user",
      "A user's credentials and their organization authorizations, in the state every read sees",
      {
        "200": { description: "The user", content: json({ $ref: "#/components/schemas/credauth-user-standing" }) },
        "404": NOT_FOUND,
      },
      { parameters: [LOGIN] },
    ),
    delete: admin(
      "delete-user",
      "Delete a user",
      { "204": NO_CONTENT, "404": NOT_FOUND, "422": VALIDATION_FAILED },
      { parameters: [LOGIN] },
    ),
  },
  "/_credauth/admin/users/{login}/credentials": {
    post: admin(
      "create-credential",
      "Create a credential for a user",
      {
        "201": { description: "Created", content: json({ $ref: "#/components/schemas/credauth-created-credential" }) },
        "404": NOT_FOUND,
        "422": VALIDATION_FAILED,
      },
      { parameters: [LOGIN], requestBody: fixtureBody("One `credentials[]` entry") },
    ),
  },
  "/_credauth/admin/credentials/{id}": {
    delete: admin(
      "destroy-credential",
      "Destroy a credential",
      { "204": NO_CONTENT, "404": NOT_FOUND },
      { parameters: [CREDENTIAL_ID] },
    ),
  },
  "/_credauth/admin/credentials/{id}/authorizations": {
    post: admin(
      "authorize-credential",
      "SSO-authorize a credential for an organization",
      {
        "200": { description: "Already authorized", content: json({ $ref: "#/components/schemas/credauth-grant" }) },
        "201": { description: "Authorized", content: json({ $ref: "#/components/schemas/credauth-grant" }) },
        "404": NOT_FOUND,
        "422": VALIDATION_FAILED,
      },
      {
        parameters: [CREDENTIAL_ID],
        requestBody: {
          required: true,
          content: json({
            type: "object",
            required: ["organization"],
            properties: { organization: { type: "string" } },
          }),
        },
      },
    ),
  },
  "/healthz": {
    get: {
      operationId: "credauth/readiness",
      summary: "Readiness",
      tags: ["credauth-operations"],
      responses: {
        "200": { description: "Ready", content: json({ $ref: "#/components/schemas/credauth-health" }) },
        "503": {
          description: "Not ready; what is down",
          content: json({ $ref: "#/components/schemas/credauth-health" }),
        },
      },
    },
  },
  "/healthz/live": {
    get: {
      operationId: "credauth/liveness",
      summary: "Liveness",
      tags: ["credauth-operations"],
      responses: {
        "200": {
          description: "The process answers",
          content: json({
            type: "object",
            required: ["status"],
            properties: { status: { type: "string", enum: ["ok"] } },
          }),
        },
      },
    },
  },
  "/metrics": {
    get: {
      operationId: "credauth/metrics",
      summary: "Prometheus metrics",
      description:
        "Exists on the API port only when an admin token is configured; `--metrics-port` serves it without one.",
      tags: ["credauth-operations"],
      security: AS_SITE_ADMIN,
      responses: {
        "200": { description: "Prometheus's text format", content: { "text/plain": { schema: { type: "string" } } } },
        "401": REQUIRES_AUTHENTICATION,
      },
    },
  },
  "/openapi.json": {
    get: {
      operationId: "credauth/openapi",
      summary: "This document",
      tags: ["credauth-operations"],
      responses: { "200": { description: "OpenAPI 3.0", content: json({ type: "object" }) } },
    },
  },
};

export const EXTENSION_SCHEMAS: Record<string, object> = {
  "credauth-user-standing": {
    type: "object",
    required: ["login", "credentials"],
    properties: {
      login: { type: "string" },
      credentials: {
        type: "array",
        items: {
          type: "object",
          required: [
            "id",
            "type",
            "note",
            "token_last_eight",
            "fingerprint",
            "state",
            "created_at",
            "expires_at",
            "destroyed_at",
            "authorizations",
          ],
          properties: {
            id: { type: "integer" },
            type: { type: "string" },
            note: { type: "string", nullable: true },
            token_last_eight: { type: "string", nullable: true },
            fingerprint: { type: "string", nullable: true },
            state: { type: "string", enum: ["live", "destroyed", "expired"] },
            created_at: { type: "string", format: "date-time" },
            expires_at: { type: "string", format: "date-time", nullable: true },
            destroyed_at: { type: "string", format: "date-time", nullable: true },
            authorizations: {
              type: "array",
              items: {
                type: "object",
                required: ["organization", "state", "credential_authorized_at", "credential_accessed_at", "revoked_at"],
                properties: {
                  organization: { type: "string" },
                  state: { type: "string", enum: ["live", "revoked"] },
                  credential_authorized_at: { type: "string", format: "date-time" },
                  credential_accessed_at: { type: "string", format: "date-time", nullable: true },
                  revoked_at: { type: "string", format: "date-time", nullable: true },
                },
              },
            },
          },
        },
      },
    },
  },
  "credauth-console-session": {
    type: "object",
    required: ["kind", "login", "csrf"],
    properties: {
      kind: { type: "string", enum: ["token", "admin"] },
      login: { type: "string", nullable: true },
      csrf: { type: "string", description: "Send it as X-CSRF-Token with every change" },
    },
  },
  "credauth-notification": {
    type: "object",
    required: [
      "id",
      "channel",
      "recipient",
      "delivery_id",
      "state",
      "skipped_reason",
      "created_at",
      "delivered_at",
      "attempts",
    ],
    properties: {
      id: { type: "integer" },
      channel: { type: "string", enum: ["email", "webhook"] },
      recipient: {
        type: "object",
        description: "email: the user's login; webhook: its id and URL (scheme, host, port and path only)",
        properties: {
          login: { type: "string", nullable: true },
          webhook_id: { type: "integer", nullable: true },
          url: { type: "string", nullable: true },
        },
      },
      delivery_id: {
        type: "string",
        format: "uuid",
        description: "The Message-ID / X-GitHub-Delivery of every attempt",
      },
      state: { type: "string", enum: ["pending", "retrying", "delivered", "skipped"] },
      skipped_reason: { type: "string", nullable: true },
      created_at: { type: "string", format: "date-time" },
      delivered_at: { type: "string", format: "date-time", nullable: true },
      attempts: {
        type: "array",
        items: {
          type: "object",
          required: ["at", "delivered", "status_code", "error", "duration_ms"],
          properties: {
            at: { type: "string", format: "date-time" },
            delivered: { type: "boolean" },
            status_code: { type: "integer", nullable: true },
            error: { type: "string", nullable: true },
            duration_ms: { type: "integer" },
          },
        },
      },
    },
  },
  "credauth-counts": COUNTS,
  "credauth-revocation": REVOCATION,
  "credauth-revocation-preview": PREVIEW,
  "credauth-created-credential": CREATED_CREDENTIAL,
  "credauth-load-report": LOAD_REPORT,
  "credauth-grant": {
    type: "object",
    required: ["credential_id", "authorized_credential_id", "organization"],
    properties: {
      credential_id: { type: "integer", description: "The authorization's id, as GitHub's credential_id" },
      authorized_credential_id: { type: "integer" },
      organization: { type: "string" },
    },
  },
  "credauth-health": {
    type: "object",
    required: ["status", "database", "backend", "worker"],
    properties: {
      status: { type: "string", enum: ["ok", "unavailable"] },
      database: { type: "string", enum: ["ok", "unavailable"] },
      backend: { type: "string", enum: ["postgres", "pglite"] },
      worker: { type: "boolean" },
    },
  },
};

export const SECURITY_SCHEMES = {
  githubToken: {
    type: "http",
    scheme: "bearer",
    description: "A token, as GitHub takes it (`Authorization: Bearer` or `token`)",
  },
  siteAdminToken: { type: "http", scheme: "bearer", description: "The site-admin token of credauth's configuration" },
};
