// --metrics-port as an operator runs it: `serve` without a worker and `credauth worker` on one
// PostgreSQL database, each serving its own /metrics on a localhost port without a token. The
// worker's metrics count the rows it changed; the server's count the request that asked.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { newTestDatabaseUrl } from "../helpers/backends.ts";
import { type RunningProcess, runCredauth, startServer } from "../helpers/process.ts";

const OLIVIA = "ghp_credauthDemoOliviaAcmeOwner000000000";

async function metricsOf(process: RunningProcess): Promise<{ url: string; text: () => Promise<string> }> {
  const [, url] = await process.waitFor(/metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/);
  return { url: url!, text: async () => (await fetch(url!)).text() };
}

const sample = (text: string, series: string) =>
  Number(new RegExp(`^${series.replace(/[{}"\\]/g, (c) => `\\${c}`)} (\\S+)$`, "m").exec(text)?.[1]);

describe("metrics on their own port", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  const postgres = newTestDatabaseUrl();
  it("serve and worker each serve theirs, on 127.0.0.1, with no token", {
    skip: postgres === null ? "TEST_DATABASE_URL is not set: `credauth worker` needs PostgreSQL" : false,
  }, async () => {
    const { url: databaseUrl, drop } = (await postgres)!;
    cleanups.push(drop);
    const server = await startServer(["--no-worker", "--demo", "--metrics-port", "0"], { DATABASE_URL: databaseUrl });
    cleanups.push(() => server.stop());
    const worker = runCredauth(["worker", "--metrics-port", "0"], { DATABASE_URL: databaseUrl });
    cleanups.push(() => worker.stop());
    const serverMetrics = await metricsOf(server);
    const workerMetrics = await metricsOf(worker);

    const revoke = await fetch(`${server.url}/enterprises/acme/credential-authorizations/alice_acme/revoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${OLIVIA}`, "user-agent": "metrics-test" },
      body: JSON.stringify({ revoke_credentials: true }),
    });
    assert.equal(revoke.status, 202);
    const jobUrl = revoke.headers.get("location")!;
    let job = {
      state: "queued",
      counts: { authorizations_revoked: { total: 0 }, credentials_destroyed: { total: 0 } },
    };
    for (let i = 0; i < 200 && (job.state === "queued" || job.state === "running"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      job = (await (
        await fetch(jobUrl, { headers: { authorization: `Bearer ${OLIVIA}`, "user-agent": "t" } })
      ).json()) as typeof job;
    }
    assert.equal(job.state, "succeeded");

    const fromWorker = await workerMetrics.text();
    assert.equal(
      sample(fromWorker, 'credauth_revocation_rows_total{effect="authorization_revoked"}'),
      job.counts.authorizations_revoked.total,
    );
    assert.equal(
      sample(fromWorker, 'credauth_revocation_rows_total{effect="credential_destroyed"}'),
      job.counts.credentials_destroyed.total,
    );
    assert.equal(sample(fromWorker, 'credauth_revocation_duration_seconds_count{outcome="succeeded"}'), 1);
    assert.equal(sample(fromWorker, 'credauth_revocations{state="succeeded"}'), 1, "read from the shared database");

    const fromServer = await serverMetrics.text();
    assert.equal(
      sample(
        fromServer,
        'credauth_http_request_duration_seconds_count{method="POST",route="/enterprises/:enterprise/credential-authorizations/:username/revoke",status_code="202"}',
      ),
      1,
    );
    assert.ok(
      !/credauth_revocation_rows_total\{[^}]*\} [1-9]/.test(fromServer),
      "the server without a worker changed no rows itself",
    );
    const onApiPort = await fetch(`${server.url}/metrics`, { headers: { "user-agent": "t" } });
    assert.equal(onApiPort.status, 404, "no admin token configured: the API port has no /metrics");
  });
});
