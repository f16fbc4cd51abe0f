import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FixtureError, parseFixture } from "../../src/domain/fixture.ts";

const ISSUE_EXAMPLE = `enterprises:
  - slug: acme
    name: Acme Inc.
    emu: true                      # default false
    owners: [acme_admin, olivia_acme]   # EMU: the first owner listed is the first EMU owner
    credential_managers: [sam_acme]     # hold write_enterprise_credentials
    guest_collaborators: [gus_acme]
    organizations:
      - login: acme-eng
        saml_sso: true             # default true
        owners: [olivia_acme]
        members: [alice_acme, gus_acme]
        outside_collaborators: [carol]
users:
  - login: alice_acme
    credentials:
      - type: classic_pat          # classic_pat | fine_grained_pat | oauth_app_token | github_app_token | ssh_key
        token: ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
        scopes: [repo, read:org]
        note: laptop
        expires_at: 2027-01-01T00:00:00Z
        authorized_orgs: [acme-eng]
      - type: fine_grained_pat
        token: github_pat_aaaaaaaaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
        resource_owner: acme       # enterprise slug or org login
        permissions: {enterprise_credentials: write}
        authorized_orgs: [acme-eng]
      - type: ssh_key
        title: laptop
        key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPO5BpIzvYZz3vCM3XOlgBDVvtetQ38JUOwfrCZOIxIU alice@laptop
        authorized_orgs: [acme-eng]
`;

function refusal(text: string): FixtureError {
  try {
    parseFixture(text, "world.yaml");
  } catch (error) {
    assert.ok(error instanceof FixtureError, String(error));
    return error;
  }
  assert.fail("the fixture was accepted");
}

describe("fixture parsing", () => {
  it("accepts the issue's example shape, with a token without checksum", () => {
    const { fixture } = parseFixture(ISSUE_EXAMPLE, "world.yaml");
    assert.equal(fixture.enterprises?.[0]?.organizations?.[0]?.outside_collaborators?.[0], "carol");
    assert.equal(fixture.users?.[0]?.credentials?.length, 3);
    assert.equal(fixture.users?.[0]?.credentials?.[0]?.expires_at, "2027-01-01T00:00:00Z");
  });

  it("accepts JSON too", () => {
    const { fixture } = parseFixture(JSON.stringify({ users: [{ login: "x" }] }), "world.json");
    assert.equal(fixture.users?.[0]?.login, "x");
  });

  it("names the line and path of a malformed token, without echoing it", () => {
    const error = refusal(ISSUE_EXAMPLE.replace("ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "ghp_tooshort"));
    assert.equal(error.path, "users[0].credentials[0].token");
    assert.equal(error.line, 18);
    assert.match(
      error.message,
      /^world\.yaml:18: users\[0\]\.credentials\[0\]\.token: is not a well-formed classic_pat token/,
    );
    assert.ok(!error.message.includes("ghp_tooshort"));
  });

  it("names unknown fields and bad enum values", () => {
    const unknown = refusal("enterprises:\n  - slug: acme\n    colour: red\n");
    assert.equal(unknown.path, "enterprises[0].colour");
    assert.equal(unknown.line, 3);
    const badType = refusal("users:\n  - login: a\n    credentials:\n      - type: password\n");
    assert.equal(badType.path, "users[0].credentials[0].type");
    assert.match(badType.message, /must be one of classic_pat/);
  });

  it("refuses YAML syntax errors at the line of the mistake, an unclosed quote or bracket where it opened", () => {
    assert.equal(refusal("users:\n  - login: a\n    credentials\n      - type: classic_pat\n").line, 3);
    assert.equal(refusal("enterprises:\n  - slug: acme\n   owners: [x]\n").line, 3);
    const quote = refusal('users:\n  - login: "a\n  - login: b\n');
    assert.equal(quote.line, 2);
    assert.match(quote.message, /^world\.yaml:2: \(top level\): Missing closing "quote/);
    assert.equal(refusal("users:\n  - login: [a\n  - login: b\n").line, 2);
    assert.equal(refusal("users:\n  - login: a # it's fine\n    credentials: [\n").line, 3);
  });

  it("reports every mistake at once, each with its line, in the file's order", () => {
    const error = refusal(
      [
        "enterprises:",
        "  - slug: acme",
        "    colour: red", // 3: unknown field
        "users:",
        "  - login: a",
        "    credentials:",
        "      - type: classic_pat",
        "        scopes: [admin:enterpise, repo]", // 8: misspelt scope
        "      - type: fine_grained_pat",
        "        permissions: {contentz: read, workflows: read}", // 10: unknown permission, wrong level
        "  - login: a", // 11: declared twice
        "",
      ].join("\n"),
    );
    assert.deepEqual(
      error.problems.map((p) => [p.line, p.path]),
      [[3, "enterprises[0].colour"]],
      "shape problems first (the rest needs a well-shaped file)",
    );
    const semantic = refusal(
      [
        "users:",
        "  - login: a",
        "    credentials:",
        "      - type: classic_pat",
        "        scopes: [admin:enterpise, repo]",
        "      - type: fine_grained_pat",
        "        permissions: {contentz: read, workflows: read}",
        "  - login: a",
        "",
      ].join("\n"),
    );
    assert.deepEqual(
      semantic.problems.map((p) => [p.line, p.path, p.problem]),
      [
        [
          5,
          "users[0].credentials[0].scopes[0]",
          '"admin:enterpise" is not a GitHub scope (did you mean "admin:enterprise"?)',
        ],
        [
          7,
          "users[0].credentials[1].permissions.contentz",
          '"contentz" is not a GitHub permission (did you mean "contents"?)',
        ],
        [7, "users[0].credentials[1].permissions.workflows", '"workflows" takes write, not read'],
        [8, "users[1].login", 'user "a" is declared twice'],
      ],
    );
    assert.match(
      semantic.message,
      /^world\.yaml: 4 problems:\n {2}world\.yaml:5: users\[0\]\.credentials\[0\]\.scopes\[0\]: /,
    );
    const shapes = refusal(
      "enterprises:\n  - slug: acme\n    colour: red\n    emu: maybe\nusers:\n  - login: b\n    age: 3\n",
    );
    assert.deepEqual(
      shapes.problems.map((p) => [p.line, p.path]),
      [
        [3, "enterprises[0].colour"],
        [4, "enterprises[0].emu"],
        [7, "users[0].age"],
      ],
    );
  });

  it("refuses a user managed by two EMU enterprises, or by one EMU and in another enterprise", () => {
    const two = refusal(
      "enterprises:\n  - slug: a\n    emu: true\n    owners: [x]\n  - slug: b\n    emu: true\n    owners: [x]\n",
    );
    assert.match(two.message, /managed user of EMU enterprise "a"/);
    const mixed = refusal(
      "enterprises:\n  - slug: a\n    emu: true\n    owners: [x]\n  - slug: b\n    organizations:\n      - login: o\n        members: [x]\n",
    );
    assert.match(mixed.message, /cannot belong to enterprise "b"/);
  });

  it("refuses fields that do not apply to a credential type", () => {
    assert.match(refusal("users:\n  - login: a\n    credentials:\n      - type: ssh_key\n").message, /needs "key"/);
    assert.equal(
      refusal("users:\n  - login: a\n    credentials:\n      - type: classic_pat\n        permissions: {x: read}\n")
        .path,
      "users[0].credentials[0].permissions",
    );
    assert.equal(
      refusal("users:\n  - login: a\n    credentials:\n      - type: classic_pat\n        expires_at: tomorrow\n").path,
      "users[0].credentials[0].expires_at",
    );
  });

  it("takes when a credential was made, used and authorized, and refuses times that are not, or cannot be", () => {
    const world = (credential: string) => `enterprises:
  - slug: acme
    organizations: [{login: acme-eng}]
users:
  - login: alice
    credentials:
      - type: classic_pat
${credential}`;
    const parsed = parseFixture(
      world(`        created_at: 2026-01-01T00:00:00Z
        last_used_at: 2026-03-01T00:00:00Z
        authorized_orgs:
          - {org: acme-eng, authorized_at: 2026-01-02T00:00:00Z, accessed_at: 2026-02-01T00:00:00Z}`),
      "world.yaml",
    );
    assert.deepEqual(parsed.fixture.users?.[0]?.credentials?.[0]?.authorized_orgs, [
      { org: "acme-eng", authorized_at: "2026-01-02T00:00:00Z", accessed_at: "2026-02-01T00:00:00Z" },
    ]);
    const error = refusal(
      world(`        created_at: yesterday
        last_used_at: 2025-01-01T00:00:00Z
        expires_at: 2027-01-01T00:00:00Z
        authorized_orgs:
          - bad login!
          - {org: acme-eng, authorized_at: 2026-02-01T00:00:00Z, accessed_at: 2026-01-01T00:00:00Z}
          - {org: acme-eng, when: now}
          - {authorized_at: 2026-02-01T00:00:00Z}`),
    );
    assert.deepEqual(
      error.problems.map((p) => [p.path, p.problem]),
      [
        ["users[0].credentials[0].authorized_orgs[0]", 'must match pattern "^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,38})$"'],
        ["users[0].credentials[0].authorized_orgs[2].when", 'unknown field "when"'],
        ["users[0].credentials[0].authorized_orgs[3]", "must have required property 'org'"],
      ],
      "shape first",
    );
    const meaning = refusal(
      world(`        created_at: yesterday
        last_used_at: 2026-01-01T00:00:00Z
        authorized_orgs:
          - {org: acme-eng, authorized_at: 2026-02-01T00:00:00Z, accessed_at: 2026-01-01T00:00:00Z}`),
    );
    assert.deepEqual(
      meaning.problems.map((p) => [p.path, p.problem.split(":")[0]]),
      [
        ["users[0].credentials[0].created_at", "must be an ISO 8601 date-time such as 2027-01-01T00"],
        ["users[0].credentials[0].authorized_orgs[0].accessed_at", "is before authorized_at"],
      ],
    );
    const backwards = refusal(
      world(`        created_at: 2026-02-01T00:00:00Z
        last_used_at: 2026-01-01T00:00:00Z
        authorized_orgs:
          - {org: acme-eng, authorized_at: 2026-01-15T00:00:00Z}`),
    );
    assert.deepEqual(
      backwards.problems.map((p) => [p.path, p.problem.split(":")[0]]),
      [
        ["users[0].credentials[0].last_used_at", "is before created_at"],
        ["users[0].credentials[0].authorized_orgs[0].authorized_at", "is before created_at"],
      ],
    );
  });

  it("refuses duplicates", () => {
    assert.match(refusal("users:\n  - login: a\n  - login: A\n").message, /declared twice/);
  });

  it("compact: a JSON fixture keeps no user objects and reads each again, equal, in order", () => {
    const world = {
      enterprises: [{ slug: "c", organizations: [{ login: "c-org", members: ["u1"] }] }],
      users: [
        { login: "u1", credentials: [{ type: "classic_pat", note: "a", authorized_orgs: ["c-org"] }] },
        { login: "u2", credentials: [{ type: "ssh_key", key: `ssh-ed25519 ${"A".repeat(68)} k` }] },
        { login: "u3" },
      ],
    };
    const text = JSON.stringify(world, null, 2);
    const whole = parseFixture(text, "c.json");
    const compact = parseFixture(text, "c.json", { compact: true });
    assert.equal(compact.fixture.users, undefined, "the users are not held");
    assert.deepEqual([...compact.users()], [...whole.users()]);
    assert.deepEqual([...compact.users()], world.users);
    assert.deepEqual(compact.fixture.enterprises, world.enterprises);
    const yaml = parseFixture("users:\n  - login: y1\n", "y.yaml", { compact: true });
    assert.deepEqual([...yaml.users()], [{ login: "y1" }], "YAML is read whole, whatever is asked");
  });

  it("reads JSON on its fast road with the same refusals and lines as YAML", () => {
    const repeated = refusal('{\n  "users": [\n    {"login": "a",\n     "login": "b"}\n  ]\n}\n');
    assert.equal(repeated.line, 4, "a repeated key is refused where it repeats");
    assert.equal(repeated.path, "users[0].login");
    assert.match(repeated.problem, /"login" appears twice/);

    const json = JSON.stringify(
      { users: [{ login: "a", credentials: [{ type: "classic_pat", token: "ghp_no" }] }] },
      null,
      2,
    );
    const yaml = "users:\n  - login: a\n    credentials:\n      - type: classic_pat\n        token: ghp_no\n";
    const fromJson = refusal(json);
    const fromYaml = refusal(yaml);
    assert.equal(fromJson.path, fromYaml.path);
    assert.equal(fromJson.problem, fromYaml.problem);
    assert.equal(fromJson.line, json.split("\n").findIndex((line) => line.includes('"token"')) + 1);
    assert.equal(fromYaml.line, 5);

    const broken = refusal('{\n  "users": [\n    {"login": "a" "b"}\n  ]\n}\n');
    assert.equal(broken.line, 3, "broken JSON still gets the YAML parser's line");
  });
});
