// GitHub's own throttling client against credauth's rate limits: @octokit/plugin-throttling reads
// credauth's answers as GitHub's — a secondary limit by its message and Retry-After, a primary one
// by x-ratelimit-remaining 0 and x-ratelimit-reset — and waits exactly what they say. Its wait is
// scaled from seconds to milliseconds (retryAfterBaseValue) so the test does not sleep a minute.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Octokit } from "@octokit/core";
import { throttling } from "@octokit/plugin-throttling";
import { generateToken } from "../../src/domain/tokens.ts";
import { GITHUB_RATE_LIMITS } from "../../src/http/rate-limits.ts";
import { type InProcessServer, listenInProcess } from "../helpers/in-process.ts";
import { makeTokens, type Tokens, worldFixture } from "../helpers/world.ts";

const ThrottledOctokit = Octokit.plugin(throttling);

interface Seen {
  at: number;
  status: number;
  headers: Headers;
}

/** fetch that remembers when each answer came and what it said. */
function recordingFetch(seen: Seen[]): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    seen.push({ at: Date.now(), status: response.status, headers: response.headers });
    return response;
  };
}

describe("@octokit/plugin-throttling against credauth's rate limits", () => {
  let server: InProcessServer;
  let tokens: Tokens;

  before(async () => {
    tokens = makeTokens();
    server = await listenInProcess({ seed: worldFixture(tokens), runWorker: false });
  });
  after(() => server?.close());

  it("waits the Retry-After of a secondary limit before it tries again", async () => {
    const seen: Seen[] = [];
    const waits: number[] = [];
    const octokit = new ThrottledOctokit({
      auth: tokens.cleoClassic,
      baseUrl: server.url,
      request: { fetch: recordingFetch(seen) },
      throttle: {
        retryAfterBaseValue: 1, // milliseconds per second of Retry-After
        onSecondaryRateLimit: (retryAfter: number) => {
          waits.push(retryAfter);
          return waits.length === 1; // retry once, then give up
        },
        onRateLimit: () => assert.fail("no primary limit here"),
      },
    });
    // The minute's 80 writes go straight (the plugin itself spaces writes a second apart).
    const dryRun = "/_credauth/dry-run/orgs/classic-eng/credential-authorizations/revoke-all";
    for (let i = 0; i < GITHUB_RATE_LIMITS.contentCreatingPerMinute; i++) {
      const response = await fetch(`${server.url}${dryRun}`, {
        method: "POST",
        headers: { authorization: `Bearer ${tokens.cleoClassic}` },
      });
      assert.equal(response.status, 200);
    }
    await assert.rejects(octokit.request(`POST ${dryRun}`), /secondary rate limit/);

    const refusals = seen.filter((s) => s.status === 403);
    assert.equal(refusals.length, 2, "refused, retried once, refused again");
    assert.equal(waits[0], Number(refusals[0]!.headers.get("retry-after")), "the plugin waits what Retry-After says");
    assert.ok(
      refusals[1]!.at - refusals[0]!.at >= waits[0]!,
      `it waited ${refusals[1]!.at - refusals[0]!.at} ms for ${waits[0]} s`,
    );
  });

  it("waits for x-ratelimit-reset once the primary limit is used up", async () => {
    const seen: Seen[] = [];
    const waits: number[] = [];
    const octokit = new ThrottledOctokit({
      auth: generateToken("classic_pat"), // unknown: each attempt uses up the address's hourly 60
      baseUrl: server.url,
      request: { fetch: recordingFetch(seen) },
      throttle: {
        onRateLimit: (retryAfter: number) => {
          waits.push(retryAfter);
          return false;
        },
        onSecondaryRateLimit: () => assert.fail("no secondary limit here"),
      },
    });
    let refused = 0;
    for (let i = 0; i <= GITHUB_RATE_LIMITS.unauthenticatedPerHour && refused === 0; i++) {
      await octokit.request("GET /user").catch((error: { status: number }) => {
        if (error.status === 403) refused++;
        else assert.equal(error.status, 401);
      });
    }
    assert.equal(refused, 1);
    const refusal = seen.at(-1)!;
    assert.equal(refusal.headers.get("x-ratelimit-remaining"), "0");
    const reset = Number(refusal.headers.get("x-ratelimit-reset"));
    // The plugin waits until one second after the reset, counted from when it read the answer.
    const expected = reset - Math.floor(refusal.at / 1000) + 1;
    assert.equal(waits.length, 1);
    assert.ok(Math.abs(waits[0]! - expected) <= 1, `waits ${waits[0]} s, the reset is ${expected} s away`);
    assert.ok(waits[0]! > 3500, "an hour's window, not a short pause");
  });
});
