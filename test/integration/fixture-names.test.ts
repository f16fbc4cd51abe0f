// A fixture is checked whole in one run: its shape and meaning, and the names it takes from the
// database (organizations and resource owners it does not declare), every problem with its line.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { FixtureError, parseFixture } from "../../src/domain/fixture.ts";
import { checkedFixture } from "../../src/store/fixture-names.ts";
import { backends } from "../helpers/backends.ts";
import { startWorldApp, type TestApp } from "../helpers/world.ts";

const MISTAKES = [
  "users:",
  "  - login: newcomer",
  "    credentials:",
  "      - type: classic_pat",
  "        token: ghp_nope", // 5: malformed token
  "      - type: classic_pat",
  "        scopes: [admin:enterpise]", // 7: misspelt scope
  "        authorized_orgs: [classic-eng, nowhere-org]", // 8: the first is loaded already, the second nowhere
  "      - type: fine_grained_pat",
  "        resource_owner: nobody-at-all", // 10: not an enterprise or organization
  "        permissions: {contents: read}",
  "",
].join("\n");

for (const backend of backends()) {
  describe(`a fixture's names checked against the database on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startWorldApp(backend)));
    after(() => t.close());

    it("reports a malformed token, a misspelt scope, an unknown organization and resource owner in one refusal", async () => {
      const refusal = await checkedFixture(t.app.services.db, () => parseFixture(MISTAKES, "world.yaml")).then(
        () => assert.fail("accepted"),
        (error: unknown) => error,
      );
      assert.ok(refusal instanceof FixtureError, String(refusal));
      assert.deepEqual(
        refusal.problems.map((p) => [p.line, p.path]),
        [
          [5, "users[0].credentials[0].token"],
          [7, "users[0].credentials[1].scopes[0]"],
          [8, "users[0].credentials[1].authorized_orgs[1]"],
          [10, "users[0].credentials[2].resource_owner"],
        ],
      );
      assert.match(refusal.problems[2]!.problem, /organization "nowhere-org" is not declared in any enterprise/);
      assert.match(refusal.problems[3]!.problem, /"nobody-at-all" is not an enterprise or organization/);
      assert.match(refusal.message, /^world\.yaml: 4 problems:/);
    });

    it("accepts names the database knows, and without a database (an empty one) refuses them", async () => {
      const known = [
        "users:",
        "  - login: newcomer",
        "    credentials:",
        "      - type: classic_pat",
        "        authorized_orgs: [Classic-Eng]",
        "",
      ].join("\n");
      const parsed = await checkedFixture(t.app.services.db, () => parseFixture(known, "known.yaml"));
      assert.equal(parsed.undeclared.length, 1, "named, not declared, and found in the database");
      await assert.rejects(
        checkedFixture(null, () => parseFixture(known, "known.yaml")),
        /known\.yaml:5: users\[0\]\.credentials\[0\]\.authorized_orgs\[0\]: organization "Classic-Eng" is not declared/,
      );
    });
  });
}
