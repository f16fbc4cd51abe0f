// An organization's fine-grained PAT governance, as only a GitHub App installed on it may use it:
// the approved tokens listed and filtered, their access revoked (and then they reach nothing of the
// organization), the requests listed and approved or denied — each answer validated against the
// contract, every refusal changing nothing, on every backend.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseFixture } from "../../src/domain/fixture.ts";
import { generateToken } from "../../src/domain/tokens.ts";
import { applyFixture } from "../../src/store/seed.ts";
import { backends } from "../helpers/backends.ts";
import { assertMatchesContract } from "../helpers/contract.ts";
import { bearer, startWorldApp, type TestApp, worldDigest } from "../helpers/world.ts";

const TOKENS = {
  governor: generateToken("github_app_installation_token"),
  readOnly: generateToken("github_app_installation_token"),
  annOld: generateToken("fine_grained_pat"),
  annNew: generateToken("fine_grained_pat"),
  melPending: generateToken("fine_grained_pat"),
  gwenPending: generateToken("fine_grained_pat"),
};

const FIXTURE = {
  users: [
    {
      login: "pat-governor[bot]",
      credentials: [
        {
          type: "github_app_installation_token",
          token: TOKENS.governor,
          resource_owner: "emu-eng",
          permissions: {
            organization_personal_access_tokens: "write",
            organization_personal_access_token_requests: "write",
          },
        },
        {
          type: "github_app_installation_token",
          token: TOKENS.readOnly,
          resource_owner: "emu-eng",
          permissions: { organization_personal_access_tokens: "read" },
        },
      ],
    },
    {
      login: "ann_emu",
      credentials: [
        {
          type: "fine_grained_pat",
          token: TOKENS.annOld,
          note: "old laptop",
          resource_owner: "emu-eng",
          permissions: { members: "read", contents: "read" },
          created_at: "2026-01-01T00:00:00Z",
          authorized_orgs: [{ org: "emu-eng", accessed_at: "2026-02-01T00:00:00Z" }],
        },
        {
          type: "fine_grained_pat",
          token: TOKENS.annNew,
          note: "new laptop",
          resource_owner: "emu-eng",
          permissions: { members: "read" },
          authorized_orgs: ["emu-eng"],
        },
      ],
    },
    {
      login: "mel_emu",
      credentials: [
        {
          type: "fine_grained_pat",
          token: TOKENS.melPending,
          note: "ci",
          resource_owner: "emu-eng",
          permissions: { members: "read" },
          access_request: { reason: "to read the member list" },
          authorized_orgs: ["emu-eng"],
        },
      ],
    },
    {
      login: "gwen_emu",
      credentials: [
        {
          type: "fine_grained_pat",
          token: TOKENS.gwenPending,
          note: "script",
          resource_owner: "emu-eng",
          permissions: { members: "read" },
          access_request: {},
          authorized_orgs: ["emu-eng"],
        },
      ],
    },
  ],
};

for (const backend of backends()) {
  describe(`fine-grained PAT governance on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => {
      t = await startWorldApp(backend);
      await applyFixture(t.app.services.db, parseFixture(JSON.stringify(FIXTURE), "governance.json"));
    });
    after(() => t.close());

    const call = (method: "GET" | "POST", url: string, token = TOKENS.governor, payload?: object) =>
      t.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });
    /** Whether a fine-grained PAT reaches the organization's member list (it holds members: read). */
    const reaches = async (token: string) => (await call("GET", "/orgs/emu-eng/members", token)).json().length > 0;

    it("lists the approved tokens with access, filtered, paged, and only to an App installation", async () => {
      const list = await call("GET", "/orgs/emu-eng/personal-access-tokens");
      assertMatchesContract("GET", "/orgs/{org}/personal-access-tokens", list);
      const names = list.json().map((grant: { token_name: string }) => grant.token_name);
      assert.ok(names.includes("old laptop") && names.includes("new laptop"), String(names));
      assert.ok(!names.includes("ci"), "a pending request is no grant");
      const old = list.json().find((grant: { token_name: string }) => grant.token_name === "old laptop");
      assert.deepEqual(old.permissions, {
        organization: { members: "read" },
        repository: { contents: "read" },
        other: {},
      });
      assert.equal(old.owner.login, "ann_emu");
      assert.equal(old.token_last_used_at, "2026-02-01T00:00:00Z");
      const filtered = await call(
        "GET",
        "/orgs/emu-eng/personal-access-tokens?owner[]=ann_emu&last_used_before=2026-03-01T00:00:00Z&direction=asc",
      );
      const filteredNames = filtered.json().map((grant: { token_name: string }) => grant.token_name);
      assert.ok(filteredNames.includes("old laptop") && !filteredNames.includes("new laptop"), String(filteredNames));
      const paged = await call("GET", "/orgs/emu-eng/personal-access-tokens?owner=ann_emu&per_page=1");
      assert.equal(paged.json().length, 1);
      assert.match(String(paged.headers.link), /rel="last"/);
      const byPermission = await call("GET", "/orgs/emu-eng/personal-access-tokens?permission=contents_read");
      const withContents = byPermission.json().map((grant: { token_name: string }) => grant.token_name);
      assert.ok(withContents.includes("old laptop") && !withContents.includes("new laptop"), String(withContents));
      const repositories = await call("GET", `/orgs/emu-eng/personal-access-tokens/${old.id}/repositories`);
      assertMatchesContract("GET", "/orgs/{org}/personal-access-tokens/{pat_id}/repositories", repositories);
      assert.deepEqual(repositories.json(), []);

      // "Only GitHub Apps can use this endpoint": an owner's classic token, a fine-grained PAT, and an
      // installation without the permission are refused; an installation elsewhere sees nothing.
      const owner = await call("GET", "/orgs/emu-eng/personal-access-tokens", t.tokens.owenClassic);
      assert.equal(owner.statusCode, 403);
      const fineGrained = await call("GET", "/orgs/emu-eng/personal-access-tokens", TOKENS.annNew);
      assert.equal(fineGrained.statusCode, 403);
      assert.equal(fineGrained.json().message, "Resource not accessible by personal access token");
      const unrelated = await call("GET", "/orgs/emu-eng/personal-access-tokens", t.tokens.emuInstallation);
      assert.equal(unrelated.statusCode, 404);
      const readOnly = await call("POST", "/orgs/emu-eng/personal-access-tokens", TOKENS.readOnly, {
        action: "revoke",
        pat_ids: [old.id],
      });
      assert.equal(readOnly.statusCode, 403);
      assert.equal(readOnly.json().message, "Resource not accessible by integration");
      assert.equal(readOnly.headers["x-accepted-github-permissions"], "organization_personal_access_tokens=write");
    });

    it("revokes access: the token then reaches nothing of the organization; an unknown id changes nothing", async () => {
      const list = (await call("GET", "/orgs/emu-eng/personal-access-tokens?owner[]=ann_emu")).json();
      const idOf = (name: string) => list.find((grant: { token_name: string }) => grant.token_name === name).id;
      const [first, second] = [idOf("old laptop"), idOf("new laptop")];
      assert.equal(await reaches(TOKENS.annNew), true);
      // A fine-grained PAT made for another resource owner is not this organization's to revoke.
      const [elsewhere] = await t.app.services.db.query<{ id: string }>(
        "select id from credentials where type = 'fine_grained_pat' and lower(resource_owner) <> 'emu-eng' limit 1",
      );
      assert.ok(elsewhere, "the world has a fine-grained PAT of another resource owner");
      const before = await worldDigest(t.app.services.db);
      for (const body of [
        { action: "revoke", pat_ids: [first, 999_999] },
        { action: "revoke", pat_ids: [Number(elsewhere.id)] },
        { action: "revoke", pat_ids: [first, "x"] },
        { action: "approve", pat_ids: [first] },
        { action: "revoke", pat_ids: [] },
        { action: "revoke" },
        { pat_ids: [first] },
      ]) {
        const refused = await call("POST", "/orgs/emu-eng/personal-access-tokens", TOKENS.governor, body);
        assertMatchesContract("POST", "/orgs/{org}/personal-access-tokens", refused);
        assert.ok([404, 422].includes(refused.statusCode), JSON.stringify(body));
      }
      assert.equal(await worldDigest(t.app.services.db), before);
      assert.equal(await reaches(TOKENS.annNew), true, "a refused request revoked nothing");

      const bulk = await call("POST", "/orgs/emu-eng/personal-access-tokens", TOKENS.governor, {
        action: "revoke",
        pat_ids: [first],
      });
      assertMatchesContract("POST", "/orgs/{org}/personal-access-tokens", bulk);
      assert.equal(bulk.statusCode, 202);
      const single = await call("POST", `/orgs/emu-eng/personal-access-tokens/${second}`, TOKENS.governor, {
        action: "revoke",
      });
      assertMatchesContract("POST", "/orgs/{org}/personal-access-tokens/{pat_id}", single);
      assert.equal(single.statusCode, 204);
      assert.equal(await reaches(TOKENS.annNew), false);
      assert.equal(await reaches(TOKENS.annOld), false);
      const after = (await call("GET", "/orgs/emu-eng/personal-access-tokens?owner[]=ann_emu")).json();
      assert.equal(after.length, list.length - 2, "a revoked token is no longer listed");
      const again = await call("POST", `/orgs/emu-eng/personal-access-tokens/${second}`, TOKENS.governor, {
        action: "revoke",
      });
      assert.equal(again.statusCode, 404);
      const audit = await call(
        "GET",
        "/enterprises/emu-corp/audit-log?phrase=action:personal_access_token.access_revoked",
        t.tokens.emuInstallation,
      );
      assert.equal(audit.json().length, 2);
      assert.equal(audit.json()[0].actor, "pat-governor[bot]");
    });

    it("lists the requests, approves one (it then reaches the organization) and denies another", async () => {
      const requests = await call("GET", "/orgs/emu-eng/personal-access-token-requests");
      assertMatchesContract("GET", "/orgs/{org}/personal-access-token-requests", requests);
      const byOwner = Object.fromEntries(
        requests.json().map((r: { owner: { login: string }; id: number; reason: string | null }) => [r.owner.login, r]),
      );
      assert.equal(byOwner.mel_emu.reason, "to read the member list");
      assert.equal(byOwner.gwen_emu.reason, null);
      assert.equal(await reaches(TOKENS.melPending), false, "a pending token reaches nothing");
      const asked = await call(
        "GET",
        `/orgs/emu-eng/personal-access-token-requests/${byOwner.mel_emu.id}/repositories`,
      );
      assertMatchesContract("GET", "/orgs/{org}/personal-access-token-requests/{pat_request_id}/repositories", asked);
      assert.deepEqual(asked.json(), []);
      const notPending = await call("GET", "/orgs/emu-eng/personal-access-token-requests/999999/repositories");
      assert.equal(notPending.statusCode, 404);

      const bad = await call("POST", "/orgs/emu-eng/personal-access-token-requests", TOKENS.governor, {
        action: "allow",
        pat_request_ids: [byOwner.mel_emu.id],
      });
      assertMatchesContract("POST", "/orgs/{org}/personal-access-token-requests", bad);
      assert.equal(bad.statusCode, 422);

      const approved = await call("POST", "/orgs/emu-eng/personal-access-token-requests", TOKENS.governor, {
        action: "approve",
        pat_request_ids: [byOwner.mel_emu.id],
        reason: "needed for CI",
      });
      assertMatchesContract("POST", "/orgs/{org}/personal-access-token-requests", approved);
      assert.equal(approved.statusCode, 202);
      assert.equal(await reaches(TOKENS.melPending), true);
      const denied = await call(
        "POST",
        `/orgs/emu-eng/personal-access-token-requests/${byOwner.gwen_emu.id}`,
        TOKENS.governor,
        { action: "deny" },
      );
      assertMatchesContract("POST", "/orgs/{org}/personal-access-token-requests/{pat_request_id}", denied);
      assert.equal(denied.statusCode, 204);
      assert.equal(await reaches(TOKENS.gwenPending), false);
      assert.deepEqual((await call("GET", "/orgs/emu-eng/personal-access-token-requests")).json(), []);
      const granted = (await call("GET", "/orgs/emu-eng/personal-access-tokens?owner[]=mel_emu")).json();
      assert.equal(granted.length, 1, "an approved request is a grant");
    });
  });
}
