// A receiver's credentials: a webhook stored before URLs were checked, with a credential in its
// URL, is deactivated and cut by migration 10 (the delivery log then shows no credential anywhere);
// and a secret stored under a secrets key that was since lost is reported with the way back, which
// is declaring the webhook again with its secret.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { parseFixture } from "../../src/domain/fixture.ts";
import { deliverNotifications } from "../../src/jobs/notifications.ts";
import { secretBox } from "../../src/secrets.ts";
import { applyFixture } from "../../src/store/seed.ts";
import { backends } from "../helpers/backends.ts";
import { bearer, requestRevocation, startWorldApp, type TestApp } from "../helpers/world.ts";

const MIGRATION = readFileSync(
  new URL("../../src/store/migrations/0010_webhook_urls_without_credentials.sql", import.meta.url),
  "utf8",
);

for (const backend of backends()) {
  describe(`webhook URLs stored with credentials, on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startWorldApp(backend)));
    after(() => t.close());

    it("are deactivated and cut to scheme, host and path, and the delivery log shows no credential", async () => {
      const { db } = t.app.services;
      const [hook] = await db.query<{ id: number }>(
        `insert into webhooks (enterprise_id, url)
         select id, 'http://user:hunter2@hooks.example/x?token=s3cret' from enterprises where slug = 'emu-corp'
         returning id`,
      );
      const id = await requestRevocation(
        t,
        "/enterprises/emu-corp/credential-authorizations/ann_emu/revoke",
        t.tokens.owenClassic,
      );
      const [notification] = await db.query<{ id: number }>(
        `insert into notifications (kind, channel, webhook_id, recipient, revocation_id, payload)
         values ('revocation', 'webhook', $1, 'http://user:hunter2@hooks.example/x?token=s3cret', $2, '{}') returning id`,
        [hook!.id, id],
      );
      await db.query(
        `insert into notification_attempts (notification_id, duration_ms, delivered, error)
         values ($1, 1, false, 'TypeError: Failed to parse URL from http://user:hunter2@hooks.example/x?token=s3cret')`,
        [notification!.id],
      );

      await db.exec(MIGRATION);

      const [stored] = await db.query<{ url: string; active: boolean }>(
        "select url, active from webhooks where id = $1",
        [hook!.id],
      );
      assert.equal(stored!.active, false);
      assert.doesNotMatch(stored!.url, /hunter2|s3cret|user/);
      const log = await t.app.inject({
        method: "GET",
        url: `/_credauth/revocations/${id}/notifications`,
        headers: bearer(t.tokens.owenClassic),
      });
      assert.equal(log.statusCode, 200, log.body);
      assert.doesNotMatch(log.body, /hunter2|s3cret|user:/);
      const entry = log.json().find((n: { channel: string }) => n.channel === "webhook");
      assert.equal(entry.recipient.url, "http://hooks.example/x");
      const dump = await db.query<{ text: string }>(
        `select concat_ws(' ', (select string_agg(url, ' ') from webhooks), (select string_agg(recipient, ' ') from notifications),
                (select string_agg(error, ' ') from notification_attempts)) as text`,
      );
      assert.doesNotMatch(dump[0]!.text, /hunter2|s3cret/, "nothing left in clear in the database");
    });

    it("a secret under a lost key is reported with the way back, and declaring it again recovers it", async () => {
      const { db } = t.app.services;
      const oldKey = secretBox(Buffer.alloc(32, 1));
      const newKey = secretBox(Buffer.alloc(32, 2));
      const fixture = (secret: string) =>
        parseFixture(
          JSON.stringify({
            enterprises: [
              {
                slug: "emu-corp",
                organizations: [{ login: "emu-ops", webhooks: [{ url: "http://127.0.0.1:9/h", secret }] }],
              },
            ],
          }),
          "hooks.json",
        );
      await applyFixture(db, fixture("before"), { secrets: oldKey });
      const [hook] = await db.query<{ id: number }>("select id from webhooks where url = 'http://127.0.0.1:9/h'");
      const [notification] = await db.query<{ id: number }>(
        `insert into notifications (kind, channel, webhook_id, recipient, revocation_id, payload)
         select 'revocation', 'webhook', $1, 'http://127.0.0.1:9/h', max(id), '{}' from revocations returning id`,
        [hook!.id],
      );
      const posted: string[] = [];
      const context = {
        db,
        transports: {
          email: null,
          webhook: async (post: { headers: Record<string, string> }) => {
            posted.push(post.headers["x-hub-signature-256"] ?? "");
            return { statusCode: 204 };
          },
          close() {},
        },
        secrets: newKey,
        publicUrl: null,
        version: "test",
        logger: { warn() {}, info() {} },
      };
      assert.deepEqual(await deliverNotifications(context, { ids: [notification!.id] }), {
        delivered: 0,
        failed: 1,
        skipped: 0,
      });
      const [attempt] = await db.query<{ error: string }>(
        "select error from notification_attempts where notification_id = $1",
        [notification!.id],
      );
      assert.match(
        attempt!.error,
        /cannot be decrypted with this secrets key .* declare the webhook again with its secret/,
      );

      await applyFixture(db, fixture("after"), { secrets: newKey });
      assert.deepEqual(await deliverNotifications(context, { ids: [notification!.id] }), {
        delivered: 1,
        failed: 0,
        skipped: 0,
      });
      assert.equal(posted.length, 1);
      assert.match(posted[0]!, /^sha256=[0-9a-f]{64}$/, "signed with the secret declared again");
    });
  });
}
