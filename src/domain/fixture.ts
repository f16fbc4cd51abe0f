// The fixture format: a YAML or JSON file that declares a world (enterprises, organizations,
// people and their credentials). Parsing checks everything that can be checked without the
// database, and every complaint names the path and line at fault.

import { Ajv, type ErrorObject } from "ajv";
import { findNodeAtLocation, type Node as JsonNode, parseTree, visit } from "jsonc-parser";
import { LineCounter, parseDocument, type Node as YamlNode } from "yaml";
import { CREDENTIAL_TYPES, type CredentialType, factsOf } from "./credential-types.ts";
import { CLASSIC_SCOPES, closest, PERMISSIONS } from "./github-vocabulary.ts";
import { sshFingerprint, tokenTypeOf } from "./tokens.ts";
import { webhookUrlProblem } from "./webhook-urls.ts";

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

export interface FixtureProblem {
  /** Where, as `users[1].credentials[0].token`; empty for the file as a whole. */
  path: string;
  line: number | null;
  /** What is wrong, without the source and path (the admin API words it its own way). */
  problem: string;
}

const describeProblem = (source: string, p: FixtureProblem) =>
  `${source}${p.line !== null ? `:${p.line}` : ""}: ${p.path || "(top level)"}: ${p.problem}`;

/**
 * A name the fixture uses without declaring it — an organization a credential is authorized in, a
 * token's resource owner — which must then be in the database already. Only the database can say,
 * so the store checks these (store/seed.ts checkedFixture) together with the file's own problems.
 */
export interface UndeclaredName {
  kind: "organization" | "resource owner";
  name: string;
  path: string;
  line: number | null;
}

/** A fixture refused: every problem found, in the file's order (the first also as path, line, problem). */
export class FixtureError extends Error {
  readonly source: string;
  readonly problems: readonly FixtureProblem[];
  readonly path: string;
  readonly line: number | null;
  readonly problem: string;
  /** The names the file uses without declaring them (none known when the file could not be read). */
  readonly undeclared: readonly UndeclaredName[];
  constructor(source: string, problems: FixtureProblem[], undeclared: readonly UndeclaredName[] = []) {
    const sorted = [...problems].sort(
      (a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER),
    );
    super(
      sorted.length === 1
        ? describeProblem(source, sorted[0]!)
        : `${source}: ${sorted.length} problems:\n${sorted.map((p) => `  ${describeProblem(source, p)}`).join("\n")}`,
    );
    this.name = "FixtureError";
    this.source = source;
    this.undeclared = undeclared;
    this.problems = sorted;
    this.path = sorted[0]!.path;
    this.line = sorted[0]!.line;
    this.problem = sorted[0]!.problem;
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

// allErrors: every shape problem at once, so a fixture with three mistakes takes one run, not three.
const ajv = new Ajv({ allErrors: true, strict: true });
const validateShape = ajv.compile<Fixture>(FIXTURE_SCHEMA);

/** JSON pointer `/users/0/credentials/1` → readable path `users[0].credentials[1]`. */
export function readablePath(segments: (string | number)[]): string {
  return segments.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
}

export type FixtureUser = NonNullable<Fixture["users"]>[number];

/** The refusal of `path` in a parsed fixture, for a problem found while applying it. */
export function fixtureRefusal(parsed: ParsedFixture, path: (string | number)[], problem: string): FixtureError {
  return new FixtureError(parsed.source, [{ path: readablePath(path), line: parsed.locate(path), problem }]);
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
  /** The names it uses without declaring them, which the database must know. */
  undeclared: readonly UndeclaredName[];
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
        throw new FixtureError(source, [
          {
            path: readablePath([...pathSupplier(), property]),
            line: startLine + 1,
            problem: `Map keys must be unique ("${property}" appears twice)`,
          },
        ]);
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

/**
 * Where an unterminated quote or flow collection begins: the YAML parser notices it only where the
 * text runs out of it (a line or more later), but the mistake is where it opened.
 */
function openedAt(text: string, before: number, opener: '"' | "'" | "[" | "{"): number | null {
  const closer = { '"': '"', "'": "'", "[": "]", "{": "}" }[opener];
  let open: number | null = null;
  let depth = 0;
  for (let i = 0; i < before; i++) {
    const c = text[i];
    if (c === "#" && open === null && (i === 0 || /\s/.test(text[i - 1]!))) {
      while (i < before && text[i] !== "\n") i++; // a comment
    } else if (opener === '"' || opener === "'") {
      if (c === opener && (opener === "'" || text[i - 1] !== "\\")) open = open === null ? i : null;
    } else if (c === opener) {
      if (depth++ === 0) open = i;
    } else if (c === closer && depth > 0) {
      if (--depth === 0) open = null;
    }
  }
  return open;
}

/** The line a YAML syntax error is about: where an unterminated construct began, else where it was noticed. */
function yamlErrorLine(
  text: string,
  lineCounter: LineCounter,
  error: { code: string; message: string; pos: [number, number] },
) {
  const opener =
    error.code === "MISSING_CHAR" && /closing "/.test(error.message)
      ? '"'
      : error.code === "MISSING_CHAR" && /closing '/.test(error.message)
        ? "'"
        : /Flow sequence|end with a \]/.test(error.message)
          ? "["
          : /Flow mapping|end with a \}/.test(error.message)
            ? "{"
            : null;
  const at = opener === null ? null : openedAt(text, error.pos[0], opener);
  return lineCounter.linePos(at ?? error.pos[0]).line;
}

function readYaml(text: string, source: string): Source {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    const problems = new Map<string, FixtureProblem>();
    for (const error of document.errors) {
      const line = yamlErrorLine(text, lineCounter, error);
      const problem = error.message.split("\n")[0] ?? "not valid YAML or JSON";
      problems.set(`${line} ${problem}`, { path: "", line, problem });
    }
    throw new FixtureError(source, [...problems.values()]);
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
  const problems: FixtureProblem[] = [];
  const report = (path: (string | number)[], problem: string): void => {
    problems.push({ path: readablePath(path), line: locate(path), problem });
  };
  // Found before the shape is checked, from whatever is readable, so that a refusal carries them.
  const undeclared = undeclaredNames(data, locate);
  const refuseIfAny = () => {
    if (problems.length > 0) throw new FixtureError(source, problems, undeclared);
  };
  if (!validateShape(data)) {
    for (const error of validateShape.errors as ErrorObject[]) {
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
      report(property !== undefined ? [...path, property] : path, problem);
    }
    refuseIfAny();
  }
  const fixture = data as Fixture;

  // Checks that span several places in the file; every problem is reported, not just the first.
  const seenEnterprises = new Set<string>();
  const seenOrganizations = new Set<string>();
  const managedBy = new Map<string, string>();
  const enterpriseOfPerson = new Map<string, Set<string>>();
  const checkWebhooks = (hooks: FixtureWebhook[] | undefined, at: (string | number)[]) => {
    hooks?.forEach((hook, h) => {
      const problem = webhookUrlProblem(hook.url);
      if (problem !== null) report([...at, "webhooks", h, "url"], problem);
    });
  };
  fixture.enterprises?.forEach((enterprise, e) => {
    checkWebhooks(enterprise.webhooks, ["enterprises", e]);
    enterprise.organizations?.forEach((organization, o) => {
      checkWebhooks(organization.webhooks, ["enterprises", e, "organizations", o]);
    });
    const slug = enterprise.slug.toLowerCase();
    if (seenEnterprises.has(slug))
      report(["enterprises", e, "slug"], `enterprise "${enterprise.slug}" is declared twice`);
    seenEnterprises.add(slug);
    const people = new Set<string>();
    for (const list of [enterprise.owners, enterprise.credential_managers, enterprise.guest_collaborators]) {
      for (const login of list ?? []) people.add(login.toLowerCase());
    }
    enterprise.organizations?.forEach((organization, o) => {
      const login = organization.login.toLowerCase();
      if (seenOrganizations.has(login))
        report(
          ["enterprises", e, "organizations", o, "login"],
          `organization "${organization.login}" is declared twice`,
        );
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
          report(
            ["enterprises", e],
            `user "${person}" is a managed user of EMU enterprise "${other}" and cannot also be managed by "${enterprise.slug}"`,
          );
        } else managedBy.set(person, slug);
      }
    }
  });
  for (const [person, slug] of managedBy) {
    const others = [...(enterpriseOfPerson.get(person) ?? [])].filter((s) => s !== slug);
    if (others.length > 0) {
      const index = fixture.enterprises!.findIndex((ent) => ent.slug.toLowerCase() === others[0]);
      report(
        ["enterprises", index],
        `user "${person}" is a managed user of EMU enterprise "${slug}" and cannot belong to enterprise "${others[0]}"`,
      );
    }
  }

  const seenUsers = new Set<string>();
  fixture.users?.forEach((user, u) => {
    const login = user.login.toLowerCase();
    if (seenUsers.has(login)) report(["users", u, "login"], `user "${user.login}" is declared twice`);
    seenUsers.add(login);
    const isBot = BOT_LOGIN.test(user.login);
    user.credentials?.forEach((credential, c) => {
      checkCredential(credential, ["users", u, "credentials", c], { login: user.login, isBot }, report);
    });
  });
  refuseIfAny();
  if (options.compact && userSpans && userSpans.length === (fixture.users?.length ?? 0))
    return compactFixture(fixture, userSpans, text, locate, source, undeclared);
  return wholeFixture(fixture, locate, source, undeclared);
}

const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const field = (value: unknown, name: string): unknown =>
  value !== null && typeof value === "object" && Object.hasOwn(value, name)
    ? (value as Record<string, unknown>)[name]
    : undefined;

/**
 * The organizations and resource owners the data names but does not declare, read defensively:
 * the data may not have the fixture's shape (its problems are reported beside these).
 */
function undeclaredNames(data: unknown, locate: ParsedFixture["locate"]): UndeclaredName[] {
  const organizations = new Set<string>();
  const owners = new Set<string>();
  for (const enterprise of asArray(field(data, "enterprises"))) {
    const slug = field(enterprise, "slug");
    if (typeof slug === "string") owners.add(slug.toLowerCase());
    for (const organization of asArray(field(enterprise, "organizations"))) {
      const login = field(organization, "login");
      if (typeof login === "string") organizations.add(login.toLowerCase());
    }
  }
  for (const name of organizations) owners.add(name);
  const undeclared: UndeclaredName[] = [];
  const note = (kind: UndeclaredName["kind"], name: string, path: (string | number)[]) =>
    undeclared.push({ kind, name, path: readablePath(path), line: locate(path) });
  asArray(field(data, "users")).forEach((user, u) => {
    asArray(field(user, "credentials")).forEach((credential, c) => {
      const at = ["users", u, "credentials", c];
      asArray(field(credential, "authorized_orgs")).forEach((login, a) => {
        if (typeof login === "string" && !organizations.has(login.toLowerCase()))
          note("organization", login, [...at, "authorized_orgs", a]);
      });
      const owner = field(credential, "resource_owner");
      if (typeof owner === "string" && !owners.has(owner.toLowerCase()))
        note("resource owner", owner, [...at, "resource_owner"]);
    });
  });
  return undeclared;
}

/** The checks of one credential, each problem reported. */
function checkCredential(
  credential: FixtureCredential,
  at: (string | number)[],
  holder: { login: string; isBot: boolean },
  report: (path: (string | number)[], problem: string) => void,
): void {
  const facts = factsOf(credential.type);
  if ((facts.accessKind === "app_installation") !== holder.isBot) {
    report(
      [...at, "type"],
      holder.isBot
        ? `a bot account ("${holder.login}") holds only github_app_installation_token credentials`
        : `a github_app_installation_token belongs to a GitHub App's bot account, named like "my-app[bot]"`,
    );
  }
  if (facts.accessKind === "app_installation" && credential.resource_owner === undefined)
    report(
      at,
      "a github_app_installation_token needs resource_owner: the enterprise or organization it is installed on",
    );
  if (!facts.ssoAuthorizable && credential.authorized_orgs !== undefined)
    report([...at, "authorized_orgs"], `a ${credential.type} is exempt from SAML SSO and holds no authorization`);
  if (facts.prefix === null) {
    if (credential.key === undefined) report(at, `an ${credential.type} needs "key" (an OpenSSH public key)`);
    else if (sshFingerprint(credential.key) === null)
      report([...at, "key"], "is not an OpenSSH public key (e.g. ssh-ed25519 AAAA... comment)");
    for (const field of ["token", "scopes", "permissions", "resource_owner", "expires_at"] as const) {
      if (credential[field] !== undefined) report([...at, field], `does not apply to an ${credential.type}`);
    }
    return;
  }
  if (credential.key !== undefined) report([...at, "key"], `does not apply to a ${credential.type}`);
  // Never echo the token itself: a fixture may hold real-looking secrets.
  if (credential.token !== undefined && tokenTypeOf(credential.token) !== credential.type) {
    report(
      [...at, "token"],
      `is not a well-formed ${credential.type} token (expected prefix, characters [A-Za-z0-9_] and length as GitHub issues them)`,
    );
  }
  if (credential.expires_at !== undefined && Number.isNaN(Date.parse(credential.expires_at)))
    report([...at, "expires_at"], "must be an ISO 8601 date-time such as 2027-01-01T00:00:00Z");
  const hasPermissions = facts.limitedBy === "permissions";
  if (credential.permissions !== undefined && !hasPermissions)
    report([...at, "permissions"], `does not apply to a ${credential.type} (it has scopes)`);
  if (credential.scopes !== undefined && hasPermissions)
    report([...at, "scopes"], `does not apply to a ${credential.type} (it has permissions)`);
  if (credential.resource_owner !== undefined && facts.reaches !== "its-resource-owner")
    report(
      [...at, "resource_owner"],
      `only a token created for one resource owner has one; a ${credential.type} does not`,
    );
  // Names GitHub knows, so a typo is not loaded as a token that can do nothing.
  if (!hasPermissions)
    (credential.scopes ?? []).forEach((scope, i) => {
      if ((CLASSIC_SCOPES as readonly string[]).includes(scope)) return;
      const fix = closest(scope, CLASSIC_SCOPES);
      report([...at, "scopes", i], `"${scope}" is not a GitHub scope${fix ? ` (did you mean "${fix}"?)` : ""}`);
    });
  for (const [name, level] of Object.entries(credential.permissions ?? {})) {
    const levels = Object.hasOwn(PERMISSIONS, name) ? PERMISSIONS[name] : undefined;
    if (levels === undefined) {
      const fix = closest(name, Object.keys(PERMISSIONS));
      report(
        [...at, "permissions", name],
        `"${name}" is not a GitHub permission${fix ? ` (did you mean "${fix}"?)` : ""}`,
      );
    } else if (!levels.includes(level))
      report([...at, "permissions", name], `"${name}" takes ${levels.join(" or ")}, not ${level}`);
  }
}

// Built outside parseFixture, whose scope holds the whole document: a closure made there would keep
// it alive (V8 shares one context among a function's closures).
function wholeFixture(
  fixture: Fixture,
  locate: ParsedFixture["locate"],
  source: string,
  undeclared: readonly UndeclaredName[],
): ParsedFixture {
  return {
    fixture,
    users: () => fixture.users ?? [],
    userCount: fixture.users?.length ?? 0,
    locate,
    source,
    undeclared,
  };
}

function compactFixture(
  fixture: Fixture,
  userSpans: [number, number][],
  text: string,
  locate: ParsedFixture["locate"],
  source: string,
  undeclared: readonly UndeclaredName[],
): ParsedFixture {
  return {
    fixture: { enterprises: fixture.enterprises },
    *users() {
      for (const [start, end] of userSpans) yield JSON.parse(text.slice(start, end)) as FixtureUser;
    },
    userCount: userSpans.length,
    locate,
    source,
    undeclared,
  };
}
