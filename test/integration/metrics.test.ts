// GET /metrics: guarded by the admin token on the API port, in Prometheus's format, and saying
// what happened — requests by route pattern, revocations by state, rows, durations, queue depth,
// rate-limit refusals, connections — read back after doing each thing.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { buildMetricsApp } from "../../src/http/metrics/routes.ts";
import { createMetrics } from "../../src/metrics.ts";
import { backends, migratedPglite } from "../helpers/backends.ts";
import { bearer, settledJob, startWorldApp, type TestApp } from "../helpers/world.ts";

const ADMIN_TOKEN = "metrics-admin-token-0123456789abcdef0123";

/** The samples of a Prometheus text exposition, by series (name and labels as written). */
function samples(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

async function scrape(t: TestApp): Promise<Map<string, number>> {
  const r = await t.app.inject({ method: "GET", url: "/metrics", headers: bearer(ADMIN_TOKEN) });
  assert.equal(r.statusCode, 200, r.body);
  return samples(r.body);
}

for (const backend of backends()) {
  describe(`metrics on ${backend.name}`, () => {
    describe("without an admin token", () => {
      let t: TestApp;
      before(async () => (t = await startWorldApp(backend)));
      after(() => t.close());

      it("has no /metrics on the API port", async () => {
        const r = await t.app.inject({ method: "GET", url: "/metrics", headers: bearer(t.tokens.owenClassic) });
        assert.equal(r.statusCode, 404);
      });
    });

    describe("with the worker running", () => {
      let t: TestApp;
      before(async () => (t = await startWorldApp(backend, { runWorker: true, adminToken: ADMIN_TOKEN })));
      after(() => t.close());

      it("answers the admin token only, in Prometheus's text format, and needs no User-Agent", async () => {
        assert.equal((await t.app.inject({ method: "GET", url: "/metrics" })).statusCode, 401);
        const user = await t.app.inject({ method: "GET", url: "/metrics", headers: bearer(t.tokens.owenClassic) });
        assert.equal(user.statusCode, 401, "a GitHub token, even an owner's, is not the admin token");
        const r = await t.app.inject({
          method: "GET",
          url: "/metrics",
          headers: { ...bearer(ADMIN_TOKEN), "user-agent": undefined },
        });
        assert.equal(r.statusCode, 200, "a scraper need not send User-Agent");
        assert.match(String(r.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
        assert.match(r.body, /^# HELP credauth_http_request_duration_seconds /m);
        assert.match(r.body, /^process_cpu_user_seconds_total /m, "Node's process metrics too");
        assert.equal(samples(r.body).get("credauth_database_up"), 1);
      });

      it("counts a revocation: by state, rows by effect, its duration, and the 202 by route pattern", async () => {
        const r = await t.app.inject({
          method: "POST",
          url: "/enterprises/emu-corp/credential-authorizations/gwen_emu/revoke",
          headers: bearer(t.tokens.owenClassic),
          payload: { revoke_credentials: true },
        });
        assert.equal(r.statusCode, 202, r.body);
        const job = await settledJob(t, Number(/(\d+)$/.exec(String(r.headers.location))![1]), t.tokens.owenClassic);
        const m = await scrape(t);
        assert.equal(m.get('credauth_revocations{state="succeeded"}'), 1);
        assert.equal(m.get('credauth_revocations{state="queued"}'), 0);
        assert.equal(
          m.get('credauth_revocation_rows_total{effect="authorization_revoked"}'),
          job.counts.authorizations_revoked.total,
        );
        assert.equal(
          m.get('credauth_revocation_rows_total{effect="credential_destroyed"}'),
          job.counts.credentials_destroyed.total,
        );
        assert.equal(m.get('credauth_revocation_duration_seconds_count{outcome="succeeded"}'), 1);
        const route = "/enterprises/:enterprise/credential-authorizations/:username/revoke";
        assert.equal(
          m.get(`credauth_http_request_duration_seconds_count{method="POST",route="${route}",status_code="202"}`),
          1,
        );
        assert.ok(![...m.keys()].some((series) => series.includes("gwen_emu")), "a login never becomes a label");
        assert.equal(m.get('credauth_jobs{queue="credauth-revocation-shard",state="ready"}'), 0);
      });

      it("shows connections of this process, the scrape's own reads done", async () => {
        const m = await scrape(t);
        assert.ok(Number(m.get('credauth_database_connections{state="open"}')) >= 1);
        assert.ok(Number(m.get('credauth_database_connections{state="max"}')) >= 1);
        assert.equal(m.get('credauth_database_connections{state="waiting"}'), 0);
      });
    });

    describe("with no worker", () => {
      let t: TestApp;
      before(async () => (t = await startWorldApp(backend, { adminToken: ADMIN_TOKEN, rateLimit: "github" })));
      after(() => t.close());

      it("shows the queued revocation job waiting, and how long", async () => {
        const r = await t.app.inject({
          method: "POST",
          url: "/orgs/classic-eng/credential-authorizations/revoke-all",
          headers: bearer(t.tokens.cleoClassic),
        });
        assert.equal(r.statusCode, 202, r.body);
        await new Promise((resolve) => setTimeout(resolve, 20));
        const m = await scrape(t);
        assert.equal(m.get('credauth_revocations{state="queued"}'), 1);
        assert.equal(m.get('credauth_jobs{queue="credauth-revocation",state="ready"}'), 1);
        assert.ok(Number(m.get('credauth_job_oldest_ready_seconds{queue="credauth-revocation"}')) > 0);
      });

      it("counts rate-limit refusals by resource and limit", async () => {
        // 60 unauthenticated requests an hour per address: the 61st is refused.
        for (let i = 0; i < 60; i++)
          assert.equal((await t.app.inject({ method: "GET", url: "/meta" })).statusCode < 500, true);
        const refused = await t.app.inject({ method: "GET", url: "/rate_limit_probe" });
        assert.equal(refused.statusCode, 403, refused.body);
        const m = await scrape(t);
        assert.equal(m.get('credauth_rate_limit_refusals_total{resource="core",limit="primary"}'), 1);
      });
    });
  });
}

describe("metrics when the database does not answer", () => {
  it("scrape still answers, with credauth_database_up 0", async () => {
    const db = await migratedPglite();
    const metrics = createMetrics(db);
    await db.close();
    const app = buildMetricsApp(metrics);
    try {
      const r = await app.inject({ method: "GET", url: "/metrics" });
      assert.equal(r.statusCode, 200);
      assert.equal(samples(r.body).get("credauth_database_up"), 0);
      assert.equal((await app.inject({ method: "GET", url: "/" })).statusCode, 404, "/metrics and nothing else");
    } finally {
      await app.close();
    }
  });
});
