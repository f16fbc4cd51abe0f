// Webhook URLs carry no credentials: refused on the way in, cut to scheme, host and path wherever
// one is shown or logged, and cut in the error text of a failed post.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseFixture } from "../../src/domain/fixture.ts";
import { redactedUrl, redactUrlsIn, webhookUrlProblem } from "../../src/domain/webhook-urls.ts";
import { describeFailure } from "../../src/jobs/notifications.ts";

describe("webhook URLs", () => {
  it("refuses userinfo, a query and a fragment, and takes a plain http(s) URL", () => {
    assert.equal(webhookUrlProblem("https://hooks.example/credauth"), null);
    assert.equal(webhookUrlProblem("http://127.0.0.1:8080/x/y"), null);
    assert.match(webhookUrlProblem("http://user:pass@hooks.example/x")!, /credentials/);
    assert.match(webhookUrlProblem("http://user@hooks.example/x")!, /credentials/);
    assert.match(webhookUrlProblem("https://hooks.example/x?token=abc")!, /query/);
    assert.match(webhookUrlProblem("https://hooks.example/x?")!, /query/);
    assert.match(webhookUrlProblem("https://hooks.example/x#frag")!, /fragment/);
    assert.match(webhookUrlProblem("ftp://hooks.example/x")!, /http/);
    assert.match(webhookUrlProblem("not a url")!, /not a URL/);
  });

  it("shows a URL without userinfo, query or fragment", () => {
    assert.equal(redactedUrl("http://user:pass@hooks.example:81/a/b?token=abc#x"), "http://hooks.example:81/a/b");
    assert.equal(
      redactUrlsIn("Request cannot be constructed from a URL that includes credentials: http://u:p@h.example/x?t=1"),
      "Request cannot be constructed from a URL that includes credentials: http://h.example/x",
    );
  });

  it("a failed post's error text holds no credential of its URL", () => {
    const error = new TypeError("Failed to parse URL from http://user:hunter2@h.example/x?token=s3cret");
    const described = describeFailure(error);
    assert.doesNotMatch(described, /hunter2|s3cret|user/);
    assert.match(described, /http:\/\/h\.example\/x/);
  });

  it("a fixture with a credential in a webhook URL is refused, naming the place", () => {
    const fixture = {
      enterprises: [
        {
          slug: "e",
          webhooks: [{ url: "https://user:pass@hooks.example/a" }],
          organizations: [{ login: "o", webhooks: [{ url: "https://hooks.example/b?token=abc" }] }],
        },
      ],
    };
    assert.throws(
      () => parseFixture(JSON.stringify(fixture), "f.json"),
      (error: Error) =>
        /enterprises\[0\]\.webhooks\[0\]\.url/.test(error.message) &&
        /enterprises\[0\]\.organizations\[0\]\.webhooks\[0\]\.url/.test(error.message),
    );
  });
});
