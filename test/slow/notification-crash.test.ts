// The process delivering a revocation's notifications is killed (SIGKILL) after their commit and
// while their delivery is under way — the mail relay has taken the connection but not greeted, the
// webhook receiver has the request but has not answered. Another process takes over: the user gets
// the email once, the receiver the post once, with the ids of the first attempt.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { generateToken } from "../../src/domain/tokens.ts";
import { newTestDatabaseUrl } from "../helpers/backends.ts";
import { type RunningProcess, runCredauth, startServer } from "../helpers/process.ts";
import { startSmtpSink, startWebhookReceiver, type WebhookReceiver } from "../helpers/receivers.ts";

const BOSS = generateToken("classic_pat");
const WORKER = generateToken("classic_pat");
const HOOK_SECRET = "crash-hook-secret";
const ENV = {
  CREDAUTH_LOG_LEVEL: "warn",
  CREDAUTH_JOB_HEARTBEAT_SECONDS: "10",
  CREDAUTH_JOB_SUPERVISE_SECONDS: "1",
  CREDAUTH_JOB_BACKSTOP_SECONDS: "1",
  CREDAUTH_SECRETS_KEY: "c0".repeat(32),
  CREDAUTH_ALLOW_PRIVATE_WEBHOOKS: "1", // the receivers listen on 127.0.0.1
};

function writeFixture(dir: string, hookUrl: string): string {
  const file = join(dir, "crash.json");
  writeFileSync(
    file,
    JSON.stringify({
      enterprises: [
        {
          slug: "crashco",
          owners: ["boss"],
          organizations: [
            {
              login: "crashco-eng",
              owners: ["boss"],
              members: ["worker1"],
              webhooks: [{ url: hookUrl, secret: HOOK_SECRET }],
            },
          ],
        },
      ],
      users: [
        { login: "boss", credentials: [{ type: "classic_pat", token: BOSS, scopes: ["admin:enterprise"] }] },
        {
          login: "worker1",
          email: "worker1@crashco.example",
          credentials: [
            { type: "classic_pat", token: WORKER, scopes: ["repo"], note: "ci", authorized_orgs: ["crashco-eng"] },
          ],
        },
      ],
    }),
  );
  return file;
}

const headers = (token: string) => ({ authorization: `Bearer ${token}`, "user-agent": "crash-test" });

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface LogEntry {
  channel: string;
  delivery_id: string;
  state: string;
  attempts: { delivered: boolean }[];
}

/** Revokes worker1's authorizations; the job's path. */
async function revokeWorker(url: string): Promise<string> {
  const r = await fetch(`${url}/enterprises/crashco/credential-authorizations/worker1/revoke`, {
    method: "POST",
    headers: headers(BOSS),
  });
  assert.equal(r.status, 202, await r.text());
  return new URL(r.headers.get("location")!).pathname;
}

/** Kills `process` while both deliveries hang, then checks what a restarted deliverer does. */
async function killDuringDelivery(
  process: RunningProcess,
  hungSmtp: { connections(): number },
  receiver: WebhookReceiver,
): Promise<void> {
  await until(() => hungSmtp.connections() >= 1 && receiver.hung() >= 1, 30_000, "both deliveries under way");
  await process.kill();
}

async function assertDeliveredOnce(
  apiUrl: string,
  jobPath: string,
  smtp: Awaited<ReturnType<typeof startSmtpSink>>,
  receiver: WebhookReceiver,
) {
  const [mail] = await smtp.waitFor(1, 120_000);
  const [post] = await receiver.waitFor(1, 120_000);
  let log: LogEntry[] = [];
  for (let i = 0; i < 150 && !(log.length === 2 && log.every((e) => e.state === "delivered")); i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 200));
    log = (await (await fetch(`${apiUrl}${jobPath}/notifications`, { headers: headers(BOSS) })).json()) as LogEntry[];
  }
  // A little longer, for a duplicate that would come late.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  assert.equal(smtp.messages.length, 1, "the email went out once");
  assert.equal(receiver.posts.length, 1, "the webhook was posted once");
  const email = log.find((entry) => entry.channel === "email")!;
  const webhook = log.find((entry) => entry.channel === "webhook")!;
  assert.equal(email.state, "delivered");
  assert.equal(webhook.state, "delivered");
  assert.equal(mail!.messageId, `<${email.delivery_id}@credauth>`);
  assert.equal(post!.headers["x-github-delivery"], webhook.delivery_id);
  // The killed attempt left no record; the one that delivered did.
  assert.deepEqual(
    email.attempts.map((a) => a.delivered),
    [true],
  );
  assert.match(mail!.text ?? "", new RegExp(`classic_pat "ci" \\(…${WORKER.slice(-8)}\\) for crashco-eng`));
}

describe("notifications across a crash", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  });

  /** A scratch folder, a mail relay that never greets, and a webhook receiver that never answers. */
  async function hangingReceivers() {
    const dir = mkdtempSync(join(tmpdir(), "credauth-notify-crash-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const hungSmtp = await startSmtpSink({ hang: true });
    const receiver = await startWebhookReceiver({ hang: true });
    cleanups.push(
      () => hungSmtp.close(),
      () => receiver.close(),
    );
    return { dir, hungSmtp, receiver };
  }

  it("embedded: `serve` killed while delivering; the next start delivers each exactly once", {
    timeout: 240_000,
  }, async () => {
    const { dir, hungSmtp, receiver } = await hangingReceivers();
    const data = join(dir, "data");
    const fixture = writeFixture(dir, receiver.url);

    const first = await startServer(["--data", data, "--seed", fixture, "--smtp-url", hungSmtp.url], ENV, 60_000);
    const jobPath = await revokeWorker(first.url);
    await killDuringDelivery(first, hungSmtp, receiver);

    const smtp = await startSmtpSink();
    cleanups.push(() => smtp.close());
    receiver.setHang(false);
    const second = await startServer(["--data", data, "--smtp-url", smtp.url], ENV, 60_000);
    cleanups.push(() => second.stop());
    await assertDeliveredOnce(second.url, jobPath, smtp, receiver);
  });

  const postgres = newTestDatabaseUrl();
  it("PostgreSQL: `credauth worker` killed while delivering; another worker delivers each exactly once", {
    skip: postgres === null ? "TEST_DATABASE_URL is not set" : false,
    timeout: 240_000,
  }, async () => {
    const { url, drop } = (await postgres)!;
    cleanups.push(drop);
    const { dir, hungSmtp, receiver } = await hangingReceivers();
    const env = { ...ENV, DATABASE_URL: url };

    const api = await startServer(["--no-worker", "--seed", writeFixture(dir, receiver.url)], env, 60_000);
    cleanups.push(() => api.stop());
    const first = runCredauth(["worker", "--smtp-url", hungSmtp.url], env);
    await first.waitFor(/credauth worker processing revocation jobs/);
    const jobPath = await revokeWorker(api.url);
    await killDuringDelivery(first, hungSmtp, receiver);

    const smtp = await startSmtpSink();
    cleanups.push(() => smtp.close());
    receiver.setHang(false);
    const second = runCredauth(["worker", "--smtp-url", smtp.url], env);
    cleanups.push(() => second.stop());
    await assertDeliveredOnce(api.url, jobPath, smtp, receiver);
  });
});
