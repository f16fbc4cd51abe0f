// The console in a real browser (Debian's Chromium, driven by playwright-core) against credauth
// processes on PostgreSQL: an API server without a worker, so a job can be seen waiting, and then
// a `credauth worker`, whose progress the page shows as it happens. Screenshots go to
// CREDAUTH_SCREENSHOTS_DIR (the README's come from `npm run screenshots`), else a scratch folder.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { newTestDatabaseUrl } from "../helpers/backends.ts";
import { type RunningProcess, runCredauth, startServer } from "../helpers/process.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const OLIVIA = "ghp_credauthDemoOliviaAcmeOwner000000000";
const ALICE = "ghp_credauthDemoAliceAcmeLaptop000000000";
const BOB = "gho_credauthDemoBobAcmeOAuthApp000000000";
const ADMIN_TOKEN = "console-browser-admin-token-0123456789abcdef";

const postgres = newTestDatabaseUrl();

describe("the console in a browser", { skip: postgres === null ? "TEST_DATABASE_URL is not set" : false }, () => {
  const shots = process.env.CREDAUTH_SCREENSHOTS_DIR ?? mkdtempSync(join(tmpdir(), "credauth-shots-"));
  let server: RunningProcess & { url: string };
  let worker: RunningProcess | null = null;
  let browser: Browser;
  let page: Page;
  let dropDatabase: () => Promise<void>;
  let databaseUrl: string;

  before(async () => {
    assert.ok(
      existsSync(CHROMIUM),
      `Chromium is needed at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`,
    );
    mkdirSync(shots, { recursive: true });
    const database = (await postgres)!;
    databaseUrl = database.url;
    dropDatabase = database.drop;
    server = await startServer(["--no-worker", "--demo", "--admin-token", ADMIN_TOKEN], { DATABASE_URL: databaseUrl });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("pageerror", (error) => assert.fail(`the page threw: ${error.message}`));
  });
  after(async () => {
    await browser?.close();
    await worker?.stop();
    await server?.stop();
    await dropDatabase?.();
    if (!process.env.CREDAUTH_SCREENSHOTS_DIR) rmSync(shots, { recursive: true, force: true });
  });

  const api = (path: string, token: string) =>
    fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}`, "user-agent": "console-test" } });
  // Evaluated in the page (strings: this file is not compiled against the DOM).
  const focusedTag = () => page.evaluate<string | undefined>("document.activeElement?.tagName");

  it("signs in with a token, kept in an HttpOnly cookie and nowhere in the page's reach", async () => {
    await page.goto(`${server.url}/_credauth/console/`);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await page.getByLabel("Token").fill("ghp_notAToken000000000000000000000000000");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "That token does not work here." }).waitFor();
    await page.getByLabel("Token").fill(OLIVIA);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Home" }).waitFor();
    assert.equal(await focusedTag(), "H1", "focus moves to the new page's heading");
    await page.getByText("Signed in as olivia_acme").waitFor();
    const cookies = await page.context().cookies();
    const session = cookies.find((cookie) => cookie.name === "credauth_console");
    assert.ok(session?.httpOnly && session.sameSite === "Strict" && session.path === "/_credauth/console");
    assert.equal(await page.evaluate<string>("document.cookie"), "", "the page cannot read the session");
    const stored = await page.evaluate<string>(
      "JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })",
    );
    assert.ok(!stored.includes(OLIVIA), "the token is in no browser storage");
    assert.ok(!page.url().includes(OLIVIA));
  });

  it("shows the enterprise's SSO-authorized credentials by type, and previews a revocation exactly", async () => {
    await page.getByRole("link", { name: "Acme Inc." }).click();
    await page.getByRole("heading", { name: "Acme Inc. · Authentication security" }).waitFor();
    const total = page.getByRole("row", { name: /Total/ });
    assert.match((await total.textContent()) ?? "", /Total\s*11/);
    await page.screenshot({ path: join(shots, "console-enterprise.png"), fullPage: true });

    const form = page.getByRole("form", { name: "Revoke a user's SSO authorizations" });
    await form.getByLabel("Username").fill("alice_acme");
    await form.getByLabel("Also delete the PATs and SSH keys themselves").check();
    await form.getByRole("button", { name: "Preview" }).click();
    const confirm = page.getByLabel("Type acme to confirm");
    await confirm.waitFor();
    assert.equal(await focusedTag(), "INPUT", "focus moves to the confirmation");
    const preview = page.locator(".notice.warning");
    assert.match(
      (await preview.textContent()) ?? "",
      /revoke 4 SSO authorizations \(2 classic_pat, 1 fine_grained_pat, 1 ssh_key\)/,
    );
    assert.match((await preview.textContent()) ?? "", /delete 3 credentials/);
    const revoke = page.getByRole("button", { name: "Revoke", exact: true });
    assert.equal(await revoke.isDisabled(), true);
    await confirm.fill("acm");
    assert.equal(await revoke.isDisabled(), true, "not until the slug is typed in full");
    await confirm.fill("acme");
    assert.equal(await revoke.isDisabled(), false);
    assert.equal((await api("/user", ALICE)).status, 200, "a preview changes nothing");
  });

  it("revokes on confirmation and follows the job live until a worker has finished it", async () => {
    await page.getByRole("button", { name: "Revoke", exact: true }).click();
    await page.getByRole("heading", { name: /^Revocation \d+$/ }).waitFor();
    await page.locator('[data-state="queued"]').waitFor();
    assert.equal((await api("/user", ALICE)).status, 401, "contained from the 202 on");
    await page.screenshot({ path: join(shots, "console-job.png"), fullPage: true });

    worker = runCredauth(["worker"], { DATABASE_URL: databaseUrl });
    await page.locator('[data-state="succeeded"]').waitFor({ timeout: 30_000 });
    const revoked = page.getByRole("table", { name: "SSO authorizations revoked by type" });
    assert.match((await revoked.getByRole("row", { name: /Total/ }).textContent()) ?? "", /Total\s*4/);
    await page.getByRole("link", { name: "All jobs" }).click();
    await page.getByRole("heading", { name: "Revocation jobs" }).waitFor();
    assert.match((await page.locator("tbody").textContent()) ?? "", /succeeded.*acme · alice_acme.*olivia_acme/);
  });

  it("shows the events in the audit trail, searched by phrase", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log" }).click();
    await page.getByLabel("Log").selectOption("enterprise:acme");
    await page.getByLabel("Search").fill("action:personal_access_token.destroy user:alice_acme");
    await page.getByRole("button", { name: "Search" }).click();
    await page.locator("tbody tr").first().waitFor();
    const rows = await page.locator("tbody tr").allTextContents();
    assert.equal(rows.length, 2, rows.join("\n"));
    assert.ok(rows.every((row) => /personal_access_token\.destroy.*olivia_acme.*alice_acme/.test(row)));

    // Paged by GitHub's cursors, newest first.
    await page.goto(`${server.url}/_credauth/console/#/audit?enterprise=acme&per_page=5`);
    await page.locator("tbody tr").nth(4).waitFor();
    const first = await page.locator("tbody tr").allTextContents();
    assert.equal(first.length, 5);
    assert.equal(await page.getByRole("link", { name: "Newer" }).count(), 0, "the newest page has nothing newer");
    await page.getByRole("link", { name: "Older" }).click();
    await page.getByRole("link", { name: "Newer" }).waitFor();
    const second = await page.locator("tbody tr").allTextContents();
    assert.equal(second.length, 5);
    assert.ok(!second.some((row) => first.includes(row)), "the next page holds other events");
    await page.getByRole("link", { name: "Newer" }).click();
    await page.getByRole("link", { name: "Newer" }).waitFor({ state: "detached" });
    assert.deepEqual(await page.locator("tbody tr").allTextContents(), first);
  });

  it("lists an organization's credentials and revokes one authorization after asking", async () => {
    await page.goto(`${server.url}/_credauth/console/#/orgs/acme-eng`);
    await page.getByRole("heading", { name: "acme-eng · SSO-authorized credentials" }).waitFor();
    await page.screenshot({ path: join(shots, "console-organization.png"), fullPage: true });
    assert.equal((await api("/orgs/acme-eng", BOB)).status, 200);
    await page.getByRole("button", { name: "Revoke OAuth app token of bob_acme" }).click();
    const dialog = page.getByRole("dialog", { name: "Revoke this authorization?" });
    await dialog.getByRole("button", { name: "Cancel" }).click();
    assert.equal((await api("/orgs/acme-eng", BOB)).status, 200, "cancelled: nothing happened");
    await page.getByRole("button", { name: "Revoke OAuth app token of bob_acme" }).click();
    await dialog.getByRole("button", { name: "Revoke authorization" }).click();
    await page.getByRole("button", { name: "Revoke OAuth app token of bob_acme" }).waitFor({ state: "detached" });
    assert.equal((await api("/orgs/acme-eng", BOB)).status, 403, "bob's token lost its SSO authorization");
    // GitHub's `login` filter is the whole login.
    await page.getByLabel("Filter by login").fill("olivia_acme");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/login=olivia_acme/);
    await page.getByRole("row", { name: /gus_acme/ }).waitFor({ state: "detached" });
    assert.deepEqual(await page.locator("tbody tr td:first-child").allTextContents(), ["olivia_acme"]);
  });

  it("fits a phone's screen", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.url}/_credauth/console/#/enterprises/acme`);
    await page.getByRole("heading", { name: /Authentication security/ }).waitFor();
    const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("signs out, and the session no longer opens the API", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    const status = await page.evaluate<number>('fetch("/_credauth/console/api/user").then((r) => r.status)');
    assert.equal(status, 401);
  });

  it("signs in with the site-admin token to provision, and shows a new token once", async () => {
    await page.getByLabel("Token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Provisioning" }).waitFor();
    await page.getByLabel("User", { exact: true }).fill("dave");
    await page.getByLabel("Scopes").fill("read:org");
    await page.getByLabel("Note").fill("from the console");
    await page.getByRole("button", { name: "Create" }).click();
    const token = (await page.locator("code.token").textContent()) ?? "";
    assert.match(token, /^ghp_[A-Za-z0-9]{36}$/);
    assert.equal((await api("/user", token)).status, 200, "the new token works");
  });
});
