// `credauth revoke`: one of the eight revoke endpoints, as a responder runs it. It previews the
// request exactly (credauth's dry run), asks for the target typed back on a terminal (--yes in a
// script), sends it, and with --wait follows the job to its end; the exit code says how it ended.
import { SingleBar } from "cli-progress";
import { ConfigError } from "../../config.ts";
import { isRevocableCredentialType, REVOCABLE_CREDENTIAL_TYPES } from "../../domain/credential-types.ts";
import { type ClientSession, followJob, type Job, refusalOf } from "./api.ts";
import type { Output } from "./output.ts";

export interface RevokeOptions {
  enterprise?: string;
  org?: string;
  user?: string;
  type?: string;
  revokeCredentials?: boolean;
  dryRun?: boolean;
  wait?: boolean;
  yes?: boolean;
  json?: boolean;
}

export interface RevokeRequest {
  path: string;
  body: Record<string, unknown>;
  /** What the person types to confirm: the enterprise slug or organization login. */
  target: string;
  description: string;
}

/** The endpoint and body the options name, or a usage error saying what is missing or contradictory. */
export function revokeRequest(options: RevokeOptions): RevokeRequest {
  if (Boolean(options.enterprise) === Boolean(options.org))
    throw new ConfigError("name the scope: --enterprise SLUG or --org LOGIN (one of them).");
  if (options.type !== undefined && !isRevocableCredentialType(options.type))
    throw new ConfigError(
      `--type must be one of ${REVOCABLE_CREDENTIAL_TYPES.join(", ")}, got ${JSON.stringify(options.type)}.`,
    );
  if (options.org && options.revokeCredentials)
    throw new ConfigError(
      "--revoke-credentials is for an enterprise (EMU): an organization revokes authorizations only.",
    );
  const base = options.enterprise
    ? `/enterprises/${encodeURIComponent(options.enterprise)}/credential-authorizations`
    : `/orgs/${encodeURIComponent(options.org!)}/credential-authorizations`;
  const user = options.user ? `/${encodeURIComponent(options.user)}` : "";
  const path = `${base}${user}/${options.type ? "revoke-credential-type" : user ? "revoke" : "revoke-all"}`;
  const body: Record<string, unknown> = {};
  if (options.type) body.credential_type = options.type;
  if (options.revokeCredentials) body.revoke_credentials = true;
  const where = options.enterprise ? `enterprise ${options.enterprise}` : `organization ${options.org}`;
  const what = `${options.type ? `${options.type} ` : ""}SSO authorizations${options.user ? ` of ${options.user}` : ""}`;
  const description = `Revoke the ${what} in ${where}${options.revokeCredentials ? ", and destroy the PATs and SSH keys themselves" : ""}`;
  return { path, body, target: (options.enterprise ?? options.org)!, description };
}

interface Preview {
  authorizations_revoked: Record<string, number>;
  credentials_destroyed: Record<string, number>;
  affected_users: number;
  caller_token: { authorization_revoked: boolean; destroyed: boolean };
  would_answer: { warning?: string };
}

/** "3 classic_pat, 1 ssh_key" from counts by type, leaving out zeros and the total. */
function byType(counts: Record<string, number>): string {
  const parts = Object.entries(counts)
    .filter(([type, n]) => type !== "total" && n > 0)
    .map(([type, n]) => `${n} ${type}`);
  return parts.length > 0 ? ` (${parts.join(", ")})` : "";
}

const total = (counts: Record<string, number>) => counts.total ?? 0;
/** "1 credential", "3 credentials". */
const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

/** Returns the process's exit code: 0 done (or previewed), 1 refused, declined or failed. */
export async function revoke(session: ClientSession, out: Output, options: RevokeOptions): Promise<number> {
  const request = revokeRequest(options);
  const { octokit } = session;
  let preview: Preview | null = null;
  try {
    preview = (await octokit.request(`POST /_credauth/dry-run${request.path}`, request.body)).data as Preview;
  } catch (error) {
    const refusal = refusalOf(error);
    // GitHub itself has no dry run (nor any /_credauth path): there the request goes unpreviewed.
    if ((refusal as { status?: number }).status !== 404 || (await isCredauth(session))) throw refusal;
  }
  if (options.dryRun && preview === null) {
    out.note("credauth: this API offers no dry run (is it GitHub itself?); nothing was sent.");
    return 1;
  }
  if (options.json && options.dryRun) {
    out.json(preview);
    return 0;
  }
  // With --json, standard output is the one JSON value at the end; the rest is for a person.
  const say = options.json ? (text: string) => out.note(text) : (text: string) => out.line(text);
  say(out.bold(`${request.description}:`));
  if (preview) {
    say(
      `  ${count(total(preview.authorizations_revoked), "SSO authorization")} revoked${byType(preview.authorizations_revoked)}`,
    );
    say(
      `  ${count(total(preview.credentials_destroyed), "credential")} destroyed${byType(preview.credentials_destroyed)}`,
    );
    say(`  ${preview.affected_users} ${preview.affected_users === 1 ? "person" : "people"} affected`);
    const own = preview.caller_token;
    if (own.destroyed || own.authorization_revoked)
      say(out.red(`  Your own token ${own.destroyed ? "will be destroyed" : "will lose its authorization"}.`));
  } else {
    say(out.dim("  (no preview: this API offers no dry run)"));
  }
  if (options.dryRun) return 0;

  if (!options.yes) {
    if (!out.interactive)
      throw new ConfigError("not on a terminal: pass --yes to revoke without the typed confirmation.");
    const typed = await out.ask(`Type ${request.target} to confirm: `);
    if (typed !== request.target) {
      out.note("credauth: not confirmed; nothing was sent.");
      return 1;
    }
  }

  const response = await octokit.request(`POST ${request.path}`, request.body);
  const answer = response.data as { message: string; warning?: string };
  const location = response.headers.location;
  say(out.green(answer.message));
  if (answer.warning) say(out.red(answer.warning));
  if (location) say(`Job: ${location}`);
  if (!options.wait || !location) {
    if (options.json) out.json({ ...answer, job: location ?? null });
    return 0;
  }
  const expected = preview ? total(preview.authorizations_revoked) + total(preview.credentials_destroyed) : 0;
  const job = await watch(session, out, location, expected, options.json === true);
  return job.state === "succeeded" ? 0 : 1;
}

/** Does the API have credauth's extensions? (A 404 from its dry run then means what it says.) */
async function isCredauth(session: ClientSession): Promise<boolean> {
  try {
    await session.octokit.request("GET /_credauth/revocations", { per_page: 1 });
    return true;
  } catch (error) {
    return (refusalOf(error) as { status?: number }).status !== 404;
  }
}

const done = (job: Job) => total(job.counts.authorizations_revoked) + total(job.counts.credentials_destroyed);

/**
 * Follows a job to its end: a progress bar on a terminal (against `expected` rows when known),
 * a line per change otherwise; the settled job as JSON with `json`.
 */
export async function watch(
  session: ClientSession,
  out: Output,
  jobUrl: string,
  expected: number,
  json: boolean,
): Promise<Job> {
  const started = performance.now();
  const bar =
    out.terminal && !json
      ? new SingleBar({
          format: "  {bar} {value}/{total} rows | {state} | {duration}s",
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: false,
        })
      : null;
  bar?.start(Math.max(expected, 1), 0, { state: "queued" });
  let lastLine = 0;
  let lastState = "";
  const job = await followJob(session, jobUrl, (change) => {
    const rows = done(change);
    if (bar) {
      if (rows > bar.getTotal()) bar.setTotal(rows);
      bar.update(rows, { state: change.state });
    } else if (!json && (change.state !== lastState || performance.now() - lastLine > 2000)) {
      out.note(`job ${change.id} ${change.state}: ${rows}${expected ? ` of ${expected}` : ""} rows`);
      lastLine = performance.now();
    }
    lastState = change.state;
  });
  bar?.update(done(job), { state: job.state });
  bar?.stop();
  if (json) out.json(job);
  else {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const summary = `${count(total(job.counts.authorizations_revoked), "authorization")} revoked, ${count(total(job.counts.credentials_destroyed), "credential")} destroyed`;
    if (job.state === "succeeded") out.line(out.green(`Job ${job.id} succeeded: ${summary} (${seconds} s).`));
    else out.line(out.red(`Job ${job.id} failed: ${job.error ?? "unknown error"}; ${summary}. Its containment stays.`));
  }
  return job;
}
