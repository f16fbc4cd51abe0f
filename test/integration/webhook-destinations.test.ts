// Webhooks are not a way into the network credauth sits in: a destination that is, or resolves to,
// a loopback (or private, link-local, metadata) address is refused at the address actually
// connected to, unless --allow-private-webhooks says otherwise. Only loopback is tried here: a test
// sends nothing to any other address.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseConfig } from "../../src/config.ts";
import { postWebhook, webhookAgents } from "../../src/jobs/notification-delivery.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../helpers/receivers.ts";

const post = (url: string) => ({
  url,
  body: '{"action":"succeeded"}',
  headers: { "content-type": "application/json" },
});

describe("webhook destinations", () => {
  let receiver: WebhookReceiver;
  before(async () => (receiver = await startWebhookReceiver()));
  after(() => receiver.close());

  it("refuses a loopback address, literal or by name, and sends it nothing", async () => {
    const port = new URL(receiver.url).port;
    for (const url of [
      receiver.url,
      `http://localhost:${port}/hook`,
      `http://[::1]:${port}/hook`,
      `http://127.1.2.3:${port}/hook`,
    ]) {
      await assert.rejects(
        postWebhook(post(url), webhookAgents({ allowPrivate: false })),
        (error: Error) =>
          error.name === "DeliveryRefused" &&
          /private, loopback, link-local or metadata address; start credauth with --allow-private-webhooks/.test(
            error.message,
          ),
        url,
      );
    }
    assert.equal(receiver.posts.length, 0, "nothing reached the receiver");
  });

  it("posts to it with --allow-private-webhooks, and reports a receiver's refusal", async () => {
    assert.deepEqual(await postWebhook(post(receiver.url), webhookAgents({ allowPrivate: true })), { statusCode: 200 });
    assert.equal(receiver.posts.length, 1);
    assert.equal(receiver.posts[0]!.body, '{"action":"succeeded"}');
    const refusing = await startWebhookReceiver({ answer: () => 302 });
    try {
      await assert.rejects(
        postWebhook(post(refusing.url), webhookAgents({ allowPrivate: true })),
        /the receiver answered 302/,
      );
    } finally {
      await refusing.close();
    }
  });

  it("is refused by default, and allowed by the flag or CREDAUTH_ALLOW_PRIVATE_WEBHOOKS=1", () => {
    assert.equal(parseConfig({}, {}).allowPrivateWebhooks, false);
    assert.equal(parseConfig({ allowPrivateWebhooks: true }, {}).allowPrivateWebhooks, true);
    assert.equal(parseConfig({}, { CREDAUTH_ALLOW_PRIVATE_WEBHOOKS: "1" }).allowPrivateWebhooks, true);
    assert.equal(parseConfig({}, { CREDAUTH_ALLOW_PRIVATE_WEBHOOKS: "false" }).allowPrivateWebhooks, false);
  });
});
