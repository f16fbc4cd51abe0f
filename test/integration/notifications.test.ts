// Notifications, against real receivers: each user a settled revocation touched gets one email
// (through a real SMTP server), each webhook watching it one signed post (a real HTTP server), a
// refusing receiver is retried until it answers, and the job's delivery log shows every attempt.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { parseFixture } from "../../src/domain/fixture.ts";
import { applyFixture } from "../../src/store/seed.ts";
import { backends } from "../helpers/backends.ts";
import { type SmtpSink, startSmtpSink, startWebhookReceiver, type WebhookReceiver } from "../helpers/receivers.ts";
import { bearer, requestRevocation, settledJob, startWorldApp, type TestApp, worldDigest } from "../helpers/world.ts";

const SECRETS_KEY = "a1".repeat(32);
const HOOK_SECRET = "It's a Secret to Everybody";

interface LogEntry {
  channel: string;
  recipient: { login?: string; url?: string; webhook_id?: number };
  delivery_id: string;
  state: string;
  skipped_reason: string | null;
  attempts: { delivered: boolean; status_code: number | null; error: string | null }[];
}

async function deliveryLog(t: TestApp, id: number, token: string, until: (log: LogEntry[]) => boolean) {
  let log: LogEntry[] = [];
  for (let i = 0; i < 200; i++) {
    const r = await t.app.inject({
      method: "GET",
      url: `/_credauth/revocations/${id}/notifications`,
      headers: bearer(token),
    });
    assert.equal(r.statusCode, 200, r.body);
    log = r.json();
    if (until(log)) return log;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the delivery log never got there: ${JSON.stringify(log)}`);
}

const load = (t: TestApp, fixture: object) =>
  applyFixture(t.app.services.db, parseFixture(JSON.stringify(fixture), "notifications.json"), {
    secrets: t.app.services.secrets,
  });

for (const backend of backends()) {
  describe(`notifications on ${backend.name}`, () => {
    let t: TestApp;
    let smtp: SmtpSink;
    let hooks: WebhookReceiver;
    let orgHook: WebhookReceiver;
    before(async () => {
      smtp = await startSmtpSink();
      hooks = await startWebhookReceiver();
      orgHook = await startWebhookReceiver({ answer: (n) => (n === 1 ? 503 : 204) });
      t = await startWorldApp(backend, {
        runWorker: true,
        smtpUrl: smtp.url,
        secretsKeyHex: SECRETS_KEY,
        allowPrivateWebhooks: true,
      });
      await load(t, {
        enterprises: [
          {
            slug: "emu-corp",
            webhooks: [{ url: hooks.url, secret: HOOK_SECRET }],
            organizations: [{ login: "emu-eng", webhooks: [{ url: orgHook.url }] }],
          },
        ],
        users: [
          { login: "ann_emu", email: "ann@emu-corp.example" },
          { login: "gwen_emu", email: "gwen@emu-corp.example" },
        ],
      });
    });
    after(async () => {
      const ids = smtp.messages.map((m) => m.messageId);
      assert.equal(new Set(ids).size, ids.length, `an email was sent twice: ${ids.join(", ")}`);
      await t.close();
      await smtp.close();
      await hooks.close();
      await orgHook.close();
    });

    it("emails each user a settled revocation touched once, listing what it revoked and deleted", async () => {
      const id = await requestRevocation(
        t,
        "/enterprises/emu-corp/credential-authorizations/ann_emu/revoke",
        t.tokens.owenClassic,
        {
          revoke_credentials: true,
        },
      );
      const job = await settledJob(t, id, t.tokens.owenClassic);
      assert.equal(job.state, "succeeded");
      const [mail] = await smtp.waitFor(1);
      assert.equal(mail!.to && !Array.isArray(mail!.to) ? mail!.to.text : "", "ann@emu-corp.example");
      assert.deepEqual(mail!.from?.value, [{ name: "credauth", address: "credauth@localhost" }]);
      assert.equal(mail!.subject, "[credauth] Your credential authorizations in the emu-corp enterprise were revoked");
      assert.match(mail!.text ?? "", /^Hello ann_emu,/);
      assert.match(mail!.text ?? "", /owen_emu revoked the SAML single sign-on authorizations/);
      assert.match(
        mail!.text ?? "",
        new RegExp(`classic_pat "laptop" \\(…${t.tokens.annClassic.slice(-8)}\\) for emu-eng`),
      );
      assert.match(mail!.text ?? "", /Credentials deleted:\n(?:.*\n)*\s+- ssh_key "laptop" \(SHA256:/);
      assert.ok(!(mail!.text ?? "").includes(t.tokens.annClassic), "never the token itself");

      const log = await deliveryLog(t, id, t.tokens.owenClassic, (entries) =>
        entries.every((entry) => entry.state === "delivered"),
      );
      const email = log.filter((entry) => entry.channel === "email");
      assert.deepEqual(
        email.map((entry) => entry.recipient.login),
        ["ann_emu"],
        "one email, to the one user touched",
      );
      assert.equal(mail!.messageId, `<${email[0]!.delivery_id}@credauth>`);
      assert.equal(mail!.headers.get("x-credauth-revocation"), String(id));
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(smtp.messages.length, 1, "sent once");
    });

    it("posts the completion to the enterprise's and its organizations' webhooks, signed when they have a secret", async () => {
      const before = { hooks: hooks.posts.length, orgHook: orgHook.posts.length };
      const id = await requestRevocation(
        t,
        "/enterprises/emu-corp/credential-authorizations/gwen_emu/revoke",
        t.tokens.owenClassic,
      );
      const job = await settledJob(t, id, t.tokens.owenClassic);
      const [post] = (await hooks.waitFor(before.hooks + 1)).slice(before.hooks);
      const body = JSON.parse(post!.body);
      assert.equal(body.action, "succeeded");
      assert.equal(body.revocation.id, id);
      assert.deepEqual(body.revocation.counts, job.counts);
      assert.deepEqual(body.enterprise, { id: body.enterprise.id, slug: "emu-corp" });
      assert.equal(body.organization, null);
      assert.equal(body.sender.login, "owen_emu");
      assert.equal(post!.headers["x-github-event"], "credauth_revocation");
      assert.match(String(post!.headers["user-agent"]), /^credauth-Hookshot\//);
      assert.equal(
        post!.headers["x-hub-signature-256"],
        `sha256=${createHmac("sha256", HOOK_SECRET).update(post!.body).digest("hex")}`,
      );
      // The organization's receiver refuses its first post (503): retried, then delivered, unsigned.
      const orgPosts = (await orgHook.waitFor(before.orgHook + 1)).slice(before.orgHook);
      assert.equal(orgPosts[0]!.headers["x-hub-signature-256"], undefined, "no secret, no signature");

      const log = await deliveryLog(t, id, t.tokens.owenClassic, (entries) =>
        entries.filter((e) => e.channel === "webhook").every((e) => e.state === "delivered"),
      );
      const webhooks = log.filter((entry) => entry.channel === "webhook");
      assert.deepEqual(webhooks.map((entry) => entry.recipient.url).sort(), [hooks.url, orgHook.url].sort());
      assert.equal(
        webhooks.find((e) => e.recipient.url === hooks.url)!.delivery_id,
        post!.headers["x-github-delivery"],
      );
      if (before.orgHook === 0) {
        const retried = webhooks.find((e) => e.recipient.url === orgHook.url)!;
        assert.deepEqual(
          retried.attempts.map((a) => [a.delivered, a.status_code]),
          [
            [false, 503],
            [true, 204],
          ],
        );
        assert.equal(retried.attempts[0]!.error, "the receiver answered 503");
        assert.equal(orgHook.posts[0]!.headers["x-github-delivery"], orgHook.posts[1]!.headers["x-github-delivery"]);
      }
      assert.equal(log.find((e) => e.channel === "email")?.recipient.login, "gwen_emu");
    });

    it("keeps webhook secrets encrypted, and refuses one when no key is configured", async () => {
      const [row] = await t.app.services.db.query<{ dump: string }>(
        "select string_agg(row_to_json(w)::text, '') as dump from webhooks w",
      );
      assert.ok(row!.dump.includes(hooks.url));
      assert.ok(!row!.dump.includes(HOOK_SECRET) && !row!.dump.includes(Buffer.from(HOOK_SECRET).toString("hex")));
      const digest = await worldDigest(t.app.services.db);
      await assert.rejects(
        applyFixture(
          t.app.services.db,
          parseFixture(
            JSON.stringify({
              enterprises: [{ slug: "emu-corp", webhooks: [{ url: "http://x.example/h", secret: "s" }] }],
            }),
            "keyless.json",
          ),
          { secrets: null },
        ),
        /keyless\.json:1: enterprises\[0\]\.webhooks\[0\]\.secret: a webhook secret is stored encrypted, and no secrets key is configured/,
      );
      assert.equal(await worldDigest(t.app.services.db), digest);
    });

    it("marks emails skipped when the user has no address, and tells the owner of a credential revoked by value", async () => {
      const id = await requestRevocation(
        t,
        "/enterprises/emu-corp/credential-authorizations/oscar_emu/revoke",
        t.tokens.owenClassic,
      );
      await settledJob(t, id, t.tokens.owenClassic);
      const log = await deliveryLog(t, id, t.tokens.owenClassic, (entries) =>
        entries.some((e) => e.channel === "email" && e.state === "skipped"),
      );
      const email = log.find((e) => e.channel === "email")!;
      assert.equal(email.recipient.login, "oscar_emu");
      assert.equal(email.skipped_reason, "the user has no email address");

      const sent = smtp.messages.length;
      const byValue = await t.app.inject({
        method: "POST",
        url: "/credentials/revoke",
        // gwen's token lost its SSO authorization above, and lives on: reported, it is destroyed.
        payload: { credentials: [t.tokens.gwenClassic] },
      });
      assert.equal(byValue.statusCode, 202);
      // Destinations are delivered concurrently: an earlier revocation's email may still arrive first.
      const subject = "[credauth] Credentials of yours were reported and revoked";
      let mail: (typeof smtp.messages)[number] | undefined;
      for (let count = sent + 1; mail === undefined; count++)
        mail = (await smtp.waitFor(count)).slice(sent).find((m) => m.subject === subject);
      assert.equal(mail.subject, subject);
      assert.match(mail!.text ?? "", /^Hello gwen_emu,/);
      assert.match(mail!.text ?? "", new RegExp(`classic_pat \\(…${t.tokens.gwenClassic.slice(-8)}\\)`));
    });
  });
}

describe("notifications without a mail server", () => {
  let t: TestApp;
  before(async () => {
    t = await startWorldApp(backends()[0]!, { runWorker: true });
    await load(t, { users: [{ login: "gwen_emu", email: "gwen@emu-corp.example" }] });
  });
  after(() => t.close());

  it("records the email and marks it skipped, saying why", async () => {
    const id = await requestRevocation(
      t,
      "/enterprises/emu-corp/credential-authorizations/gwen_emu/revoke",
      t.tokens.owenClassic,
    );
    await settledJob(t, id, t.tokens.owenClassic);
    const log = await deliveryLog(t, id, t.tokens.owenClassic, (entries) =>
      entries.every((e) => e.state === "skipped"),
    );
    assert.deepEqual(
      log.map((e) => [e.channel, e.recipient.login, e.skipped_reason]),
      [["email", "gwen_emu", "no mail server is configured (--smtp-url)"]],
    );
    const [jobs] = await t.app.services.db.query<{ n: number }>(
      "select count(*)::int as n from pgboss.job where name = 'credauth-notification' and data->>'revocationId' = $1",
      [String(id)],
    );
    assert.equal(jobs?.n, 0, "skipped where it was recorded: no delivery job woke the workers for it");
    const counted = (await t.app.services.metrics.notifications.get()).values.find(
      (v) => v.labels.channel === "email" && v.labels.outcome === "skipped",
    );
    assert.equal(counted?.value, 1, "and counted in the metrics");
  });
});
