// The fixture format: a YAML or JSON file that declares a world (enterprises, organizations,
// people and their credentials). Parsing checks everything that can be checked without the
// database, and every complaint names the path and line at fault.
import { Ajv, type ErrorObject } from "ajv";
import { findNodeAtLocation, type Node as JsonNode, parseTree, visit } from "jsonc-parser";
import { LineCounter, parseDocument, type Node as YamlNode } from "yaml";
import { CREDENTIAL_TYPES, type CredentialType, factsOf } from "./credential-types.ts";
import { sshFingerprint, tokenTypeOf } from "./tokens.ts";

export interface FixtureCredential {
  type: CredentialType;
  token?: string;
  scopes?: string[];
  note?: string;
  title?: string;
  key?: string;
  expires_at?: string;
  resource_owner?: string;
  permissions?: Record<string, "read" | "write" | "admin">;
  authorized_orgs?: string[];
}

/** Where a revocation's completion is posted, signed with `secret` (X-Hub-Signature-256) if given. */
export interface FixtureWebhook {
  url: string;
  secret?: string;
}

export interface FixtureOrganization {
  login: string;
  saml_sso?: boolean;
  webhooks?: FixtureWebhook[];
  owners?: string[];
  members?: string[];
  outside_collaborators?: string[];
}

export interface FixtureEnterprise {
  slug: string;
  name?: string;
  emu?: boolean;
  owners?: string[];
  credential_managers?: string[];
  guest_collaborators?: string[];
  webhooks?: FixtureWebhook[];
  organizations?: FixtureOrganization[];
}

export interface Fixture {
  enterprises?: FixtureEnterprise[];
  users?: { login: string; email?: string; credentials?: FixtureCredential[] }[];
}

export class FixtureError extends Error {
  readonly path: string;
  readonly line: number | null;
  /** What is wrong, without the source and path (the admin API words it its own way). */
  readonly problem: string;
  constructor(source: string, path: string, line: number | null, problem: string) {
    super(`${source}${line !== null ? `:${line}` : ""}: ${path || "(top level)"}: ${problem}`);
    this.name = "FixtureError";
    this.path = path;
    this.line = line;
    this.problem = problem;
  }
}

const LOGIN = "^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,38})$";
const logins = { type: "array", items: { type: "string", pattern: LOGIN }, uniqueItems: true };
const webhooks = {
  type: "array",
  items: {
    type: "object",
    additionalProperties: false,
    required: ["url"],
    properties: {
      url: { type: "string", pattern: "^https?://[^\\s]+$", maxLength: 2000 },
      secret: { type: "string", minLength: 1, maxLength: 256 },
    },
  },
};
/** A GitHub App's bot account, `<app-slug>[bot]`: it holds the App's installation tokens and no role. */
const BOT_LOGIN = /\[bot\]$/;

const FIXTURE_SCHEMA = {
  type: "object",
  additionalProperties: false,
  properties: {
    enterprises: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["slug"],
        properties: {
          slug: { type: "string", pattern: "^[A-Za-z0-9](?:[A-Za-z0-9-]{0,59})$" },
          name: { type: "string", minLength: 1, maxLength: 200 },
          emu: { type: "boolean" },
          owners: logins,
          credential_managers: logins,
          guest_collaborators: logins,
          webhooks,
          organizations: {
            type: "array",
            items: {
              type: "object",
              additionalProperties: false,
              required: ["login"],
              properties: {
                login: { type: "string", pattern: LOGIN },
                saml_sso: { type: "boolean" },
                owners: logins,
                members: logins,
                outside_collaborators: logins,
                webhooks,
              },
            },
          },
        },
      },
    },
    users: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["login"],
        properties: {
          login: { type: "string", pattern: "^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,38})(?:\\[bot\\])?$" },
          email: { type: "string", pattern: "^[^@\\s<>]+@[^@\\s<>]+$", maxLength: 254 },
          credentials: {
            type: "array",
            items: {
              type: "object",
              additionalProperties: false,
              required: ["type"],
              properties: {
                type: { enum: [...CREDENTIAL_TYPES] },
                token: { type: "string" },
                scopes: { type: "array", items: { type: "string", pattern: "^[a-z_:]+$" }, uniqueItems: true },
                note: { type: "string", maxLength: 200 },
                title: { type: "string", maxLength: 200 },
                key: { type: "string" },
                expires_at: { type: "string" },
                resource_owner: { type: "string", pattern: "^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,59})$" },
                permissions: { type: "object", additionalProperties: { enum: ["read", "write", "admin"] } },
                authorized_orgs: logins,
              },
            },
          },
        },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: false, strict: true });
const validateShape = ajv.compile<Fixture>(FIXTURE_SCHEMA);

/** JSON pointer `/users/0/credentials/1` → readable path `users[0].credentials[1]`. */
function readablePath(segments: (string | number)[]): string {
  return segments.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
}

export type FixtureUser = NonNullable<Fixture["users"]>[number];

/** The refusal of `path` in a parsed fixture, for a problem found while applying it. */
export function fixtureRefusal(parsed: ParsedFixture, path: (string | number)[], problem: string): FixtureError {
  return new FixtureError(parsed.source, readablePath(path), parsed.locate(path), problem);
}

export interface ParsedFixture {
  /** The enterprises, and the users unless the fixture was parsed `compact`. */
  fixture: Fixture;
  /** Every user, in the file's order: from `fixture.users`, or read again from the source one at a time. */
  users(): Iterable<FixtureUser>;
  /** How many users `users()` yields. */
  userCount: number;
  /** Where each path sits in the source, for errors found later (while applying it). */
  locate(path: (string | number)[]): FixtureError["line"];
  source: string;
}

/** The file's data and where each path of it sits, or a FixtureError for a syntax error. */
interface Source {
  data: unknown;
  locate(path: (string | number)[]): number | null;
  /** JSON only: where each element of `users` starts and ends in the text. */
  userSpans?: [start: number, end: number][];
}

/**
 * JSON takes the fast road: JSON.parse, one pass of jsonc-parser's scanner to refuse a repeated key
 * (which JSON.parse would silently overwrite), and line numbers worked out only when an error needs
 * one. A generated world of a million authorizations is a JSON file of tens of megabytes, which
 * the YAML parser's document model would take many seconds and gigabytes to hold. Anything that is
 * not valid JSON (YAML, or broken JSON) goes through the YAML parser, which names the line at fault.
 */
function readJson(text: string, source: string): Source | null {
  if (!/^\s*[{[]/.test(text)) return null;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  const keys: Set<string>[] = [];
  // The span of each users[i] object, so a compact fixture can drop its users and read them again.
  const userSpans: [number, number][] = [];
  const isUser: boolean[] = [];
  visit(text, {
    onObjectBegin: (offset, _length, _line, _character, pathSupplier) => {
      keys.push(new Set());
      const path = keys.length === 2 ? pathSupplier() : null;
      const user = path !== null && path.length === 2 && path[0] === "users";
      isUser.push(user);
      if (user) userSpans.push([offset, offset]);
    },
    onObjectEnd: (offset, length) => {
      keys.pop();
      if (isUser.pop()) userSpans.at(-1)![1] = offset + length;
    },
    onObjectProperty: (property, _offset, _length, startLine, _character, pathSupplier) => {
      const seen = keys.at(-1)!;
      if (seen.has(property)) {
        throw new FixtureError(
          source,
          readablePath([...pathSupplier(), property]),
          startLine + 1,
          `Map keys must be unique ("${property}" appears twice)`,
        );
      }
      seen.add(property);
    },
  });
  let tree: JsonNode | undefined;
  const lineStarts: number[] = [];
  return {
    data,
    userSpans,
    locate(path) {
      tree ??= parseTree(text);
      if (lineStarts.length === 0) {
        lineStarts.push(0);
        for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lineStarts.push(i + 1);
      }
      for (let depth = path.length; depth >= 0; depth--) {
        const node = tree && findNodeAtLocation(tree, path.slice(0, depth));
        if (!node) continue;
        // A property's value is located at its key, as YAML's ranges do.
        const offset = node.parent?.type === "property" ? node.parent.offset : node.offset;
        let low = 0;
        let high = lineStarts.length - 1;
        while (low < high) {
          const middle = (low + high + 1) >> 1;
          if (lineStarts[middle]! <= offset) low = middle;
          else high = middle - 1;
        }
        return low + 1;
      }
      return null;
    },
  };
}

function readYaml(text: string, source: string): Source {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    const first = document.errors[0]!;
    const line = lineCounter.linePos(first.pos[0]).line;
    throw new FixtureError(source, "", line, first.message.split("\n")[0] ?? "not valid YAML or JSON");
  }
  return {
    data: document.toJS() ?? {},
    locate(path) {
      for (let depth = path.length; depth >= 0; depth--) {
        const node = depth === 0 ? document.contents : document.getIn(path.slice(0, depth), true);
        const range = (node as YamlNode | undefined)?.range;
        if (range) return lineCounter.linePos(range[0]).line;
      }
      return null;
    },
  };
}

/**
 * Parses and checks a fixture. `compact` (for large files): a JSON fixture's users are dropped once
 * checked and read again from the text one at a time as they are loaded, so a world of a million
 * authorizations is never held whole as objects (docs/performance.md).
 */
export function parseFixture(text: string, source: string, options: { compact?: boolean } = {}): ParsedFixture {
  const { data, locate, userSpans } = readJson(text, source) ?? readYaml(text, source);
  const fail = (path: (string | number)[], problem: string): never => {
    throw new FixtureError(source, readablePath(path), locate(path), problem);
  };
  if (!validateShape(data)) {
    const error = validateShape.errors![0] as ErrorObject;
    const path = error.instancePath
      .split("/")
      .slice(1)
      .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    const property = (error.params as { additionalProperty?: string }).additionalProperty;
    const problem =
      property !== undefined
        ? `unknown field "${property}"`
        : error.keyword === "enum"
          ? `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(", ")}`
          : (error.message ?? "is invalid");
    return fail(property !== undefined ? [...path, property] : path, problem);
  }
  const fixture = data;

  // Checks that span several places in the file.
  const seenEnterprises = new Set<string>();
  const seenOrganizations = new Set<string>();
  const managedBy = new Map<string, string>();
  const enterpriseOfPerson = new Map<string, Set<string>>();
  fixture.enterprises?.forEach((enterprise, e) => {
    const slug = enterprise.slug.toLowerCase();
    if (seenEnterprises.has(slug))
      fail(["enterprises", e, "slug"], `enterprise "${enterprise.slug}" is declared twice`);
    seenEnterprises.add(slug);
    const people = new Set<string>();
    for (const list of [enterprise.owners, enterprise.credential_managers, enterprise.guest_collaborators]) {
      for (const login of list ?? []) people.add(login.toLowerCase());
    }
    enterprise.organizations?.forEach((organization, o) => {
      const login = organization.login.toLowerCase();
      if (seenOrganizations.has(login))
        fail(["enterprises", e, "organizations", o, "login"], `organization "${organization.login}" is declared twice`);
      seenOrganizations.add(login);
      for (const list of [organization.owners, organization.members, organization.outside_collaborators]) {
        for (const person of list ?? []) people.add(person.toLowerCase());
      }
    });
    for (const person of people) {
      const enterprises = enterpriseOfPerson.get(person) ?? new Set();
      enterprises.add(slug);
      enterpriseOfPerson.set(person, enterprises);
      if (enterprise.emu) {
        const other = managedBy.get(person);
        if (other !== undefined && other !== slug) {
          fail(
            ["enterprises", e],
            `user "${person}" is a managed user of EMU enterprise "${other}" and cannot also be managed by "${enterprise.slug}"`,
          );
        }
        managedBy.set(person, slug);
      }
    }
  });
  for (const [person, slug] of managedBy) {
    const others = [...(enterpriseOfPerson.get(person) ?? [])].filter((s) => s !== slug);
    if (others.length > 0) {
      const index = fixture.enterprises!.findIndex((ent) => ent.slug.toLowerCase() === others[0]);
      fail(
        ["enterprises", index],
        `user "${person}" is a managed user of EMU enterprise "${slug}" and cannot belong to enterprise "${others[0]}"`,
      );
    }
  }

  const seenUsers = new Set<string>();
  fixture.users?.forEach((user, u) => {
    const login = user.login.toLowerCase();
    if (seenUsers.has(login)) fail(["users", u, "login"], `user "${user.login}" is declared twice`);
    seenUsers.add(login);
    const isBot = BOT_LOGIN.test(user.login);
    user.credentials?.forEach((credential, c) => {
      const at = ["users", u, "credentials", c];
      const facts = factsOf(credential.type);
      if ((facts.accessKind === "app_installation") !== isBot) {
        fail(
          [...at, "type"],
          isBot
            ? `a bot account ("${user.login}") holds only github_app_installation_token credentials`
            : `a github_app_installation_token belongs to a GitHub App's bot account, named like "my-app[bot]"`,
        );
      }
      if (facts.accessKind === "app_installation" && credential.resource_owner === undefined)
        fail(
          [...at],
          "a github_app_installation_token needs resource_owner: the enterprise or organization it is installed on",
        );
      if (!facts.ssoAuthorizable && credential.authorized_orgs !== undefined)
        fail([...at, "authorized_orgs"], `a ${credential.type} is exempt from SAML SSO and holds no authorization`);
      if (facts.prefix === null) {
        if (credential.key === undefined) fail([...at], `an ${credential.type} needs "key" (an OpenSSH public key)`);
        if (sshFingerprint(credential.key!) === null)
          fail([...at, "key"], "is not an OpenSSH public key (e.g. ssh-ed25519 AAAA... comment)");
        for (const field of ["token", "scopes", "permissions", "resource_owner", "expires_at"] as const) {
          if (credential[field] !== undefined) fail([...at, field], `does not apply to an ${credential.type}`);
        }
        return;
      }
      if (credential.key !== undefined) fail([...at, "key"], `does not apply to a ${credential.type}`);
      if (credential.token !== undefined) {
        const tokenType = tokenTypeOf(credential.token);
        // Never echo the token itself: a fixture may hold real-looking secrets.
        if (tokenType !== credential.type) {
          fail(
            [...at, "token"],
            `is not a well-formed ${credential.type} token (expected prefix, characters [A-Za-z0-9_] and length as GitHub issues them)`,
          );
        }
      }
      if (credential.expires_at !== undefined && Number.isNaN(Date.parse(credential.expires_at))) {
        fail([...at, "expires_at"], "must be an ISO 8601 date-time such as 2027-01-01T00:00:00Z");
      }
      const hasPermissions = facts.limitedBy === "permissions";
      if (credential.permissions !== undefined && !hasPermissions)
        fail([...at, "permissions"], `does not apply to a ${credential.type} (it has scopes)`);
      if (credential.scopes !== undefined && hasPermissions)
        fail([...at, "scopes"], `does not apply to a ${credential.type} (it has permissions)`);
      if (credential.resource_owner !== undefined && facts.reaches !== "its-resource-owner") {
        fail(
          [...at, "resource_owner"],
          `only a token created for one resource owner has one; a ${credential.type} does not`,
        );
      }
    });
  });
  if (options.compact && userSpans && userSpans.length === (fixture.users?.length ?? 0))
    return compactFixture(fixture, userSpans, text, locate, source);
  return wholeFixture(fixture, locate, source);
}

// Built outside parseFixture, whose scope holds the whole document: a closure made there would keep
// it alive (V8 shares one context among a function's closures).
function wholeFixture(fixture: Fixture, locate: ParsedFixture["locate"], source: string): ParsedFixture {
  return { fixture, users: () => fixture.users ?? [], userCount: fixture.users?.length ?? 0, locate, source };
}

function compactFixture(
  fixture: Fixture,
  userSpans: [number, number][],
  text: string,
  locate: ParsedFixture["locate"],
  source: string,
): ParsedFixture {
  return {
    fixture: { enterprises: fixture.enterprises },
    *users() {
      for (const [start, end] of userSpans) yield JSON.parse(text.slice(start, end)) as FixtureUser;
    },
    userCount: userSpans.length,
    locate,
    source,
  };
}
