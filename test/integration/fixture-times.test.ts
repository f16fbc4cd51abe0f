// A fixture that says when: a credential's created_at and last_used_at, and each authorization's
// authorized_at and accessed_at, show where GitHub shows them (the organization's list, the user's
// keys, the harness's user view), and with the clock a hygiene rule ("unused for 90 days") sees
// them age.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseFixture } from "../../src/domain/fixture.ts";
import { generateToken } from "../../src/domain/tokens.ts";
import { setClockOffset } from "../../src/store/clock.ts";
import { applyFixture } from "../../src/store/seed.ts";
import { backends } from "../helpers/backends.ts";
import { bearer, startWorldApp, type TestApp } from "../helpers/world.ts";

const DAY_MS = 86_400_000;
const ADMIN_TOKEN = generateToken("classic_pat");
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPO5BpIzvYZz3vCM3XOlgBDVvtetQ38JUOwfrCZOIxIU dana@laptop";

for (const backend of backends()) {
  describe(`fixture times on ${backend.name}`, () => {
    let t: TestApp;
    const owner = generateToken("classic_pat");
    const stale = generateToken("classic_pat");
    const fresh = generateToken("classic_pat");
    // Each time taken once, for the fixture and the assertions alike (a second may pass between).
    const loadedAt = Date.now();
    const daysAgo = (days: number) => new Date(loadedAt - days * DAY_MS).toISOString().replace(/\.\d{3}Z$/, "Z");

    before(async () => {
      t = await startWorldApp(backend, { adminToken: ADMIN_TOKEN });
      const fixture = {
        enterprises: [
          {
            slug: "umbrella",
            owners: ["wesker"],
            organizations: [{ login: "umbrella-labs", owners: ["wesker"], members: ["dana", "eli"] }],
          },
        ],
        users: [
          {
            login: "wesker",
            credentials: [
              {
                type: "classic_pat",
                token: owner,
                scopes: ["admin:org", "read:org"],
                authorized_orgs: ["umbrella-labs"],
              },
            ],
          },
          {
            login: "dana",
            credentials: [
              {
                type: "classic_pat",
                token: stale,
                created_at: daysAgo(200),
                last_used_at: daysAgo(85),
                authorized_orgs: [{ org: "umbrella-labs", authorized_at: daysAgo(150) }],
              },
              {
                type: "ssh_key",
                title: "laptop",
                key: KEY,
                created_at: daysAgo(300),
                authorized_orgs: ["umbrella-labs"],
              },
            ],
          },
          { login: "eli", credentials: [{ type: "classic_pat", token: fresh, authorized_orgs: ["umbrella-labs"] }] },
        ],
      };
      await applyFixture(t.app.services.db, parseFixture(JSON.stringify(fixture), "times.json"));
    });
    after(async () => {
      await setClockOffset(t.app.services.db, t.app.services.clock, 0);
      await t.close();
    });

    const inventory = async () =>
      (
        await t.app.inject({
          method: "GET",
          url: "/orgs/umbrella-labs/credential-authorizations",
          headers: bearer(owner),
        })
      ).json() as {
        login: string;
        token_last_eight?: string;
        credential_authorized_at: string;
        credential_accessed_at: string | null;
      }[];

    it("shows the declared times in the organization's list", async () => {
      const dana = (await inventory()).find((e) => e.token_last_eight === stale.slice(-8))!;
      assert.equal(dana.credential_authorized_at, daysAgo(150));
      assert.equal(dana.credential_accessed_at, daysAgo(85), "last_used_at is the authorization's last access");
      const eli = (await inventory()).find((e) => e.login === "eli")!;
      assert.equal(eli.credential_accessed_at, null, "never used");
      assert.ok(Math.abs(Date.parse(eli.credential_authorized_at) - Date.now()) < 60_000, "authorized when loaded");
    });

    it("shows a key's created_at on the user's keys, and every time in the harness's user view", async () => {
      const view = (
        await t.app.inject({ method: "GET", url: "/_credauth/admin/users/dana", headers: bearer(ADMIN_TOKEN) })
      ).json();
      const key = view.credentials.find((c: { type: string }) => c.type === "ssh_key");
      const pat = view.credentials.find((c: { type: string }) => c.type === "classic_pat");
      assert.equal(key.created_at, new Date(daysAgo(300)).toISOString());
      assert.equal(pat.created_at, new Date(daysAgo(200)).toISOString());
      assert.equal(pat.authorizations[0].credential_accessed_at, new Date(daysAgo(85)).toISOString());
    });

    it("ages with the clock: ten days on, dana's token is unused for 95 days, and a use resets it", async () => {
      const unusedFor90Days = async () =>
        (await inventory())
          .filter((e) => e.credential_accessed_at !== null)
          .filter((e) => t.app.services.clock.nowMs() - Date.parse(e.credential_accessed_at!) > 90 * DAY_MS)
          .map((e) => e.login);
      assert.deepEqual(await unusedFor90Days(), []);
      await setClockOffset(t.app.services.db, t.app.services.clock, 10 * DAY_MS);
      assert.deepEqual(await unusedFor90Days(), ["dana"]);
      // dana uses the token in the organization: its last access is now, on the moved clock.
      const used = await t.app.inject({ method: "GET", url: "/orgs/umbrella-labs", headers: bearer(stale) });
      assert.equal(used.statusCode, 200);
      assert.deepEqual(await unusedFor90Days(), []);
    });
  });
}
