// The responder's commands, a client of any GitHub-compatible API: credauth's, or GitHub's own for
// GitHub's endpoints. Each action resolves to the exit code; failures become one line in main.ts.
import type { Command } from "commander";
import { type ClientFlags, parseClientConfig } from "../../config.ts";
import { ApiRefusal, apiClient, refusalOf } from "./api.ts";
import { audit } from "./audit.ts";
import { inventory } from "./inventory.ts";
import { listJobs, showJob, watchJob } from "./jobs.ts";
import { terminalOutput } from "./output.ts";
import { revoke } from "./revoke.ts";
import { createToken } from "./token.ts";

const connection = (command: Command) =>
  command
    .option("--url <url>", "the API's base URL (CREDAUTH_URL; default http://127.0.0.1:3000)")
    .option("--token <token>", "the token to send (GH_TOKEN or GITHUB_TOKEN; prefer those: ps shows arguments)")
    .option("--ca <file>", "also trust this certificate, such as credauth's self-signed one (CREDAUTH_CA_FILE)");

/** Runs a command against the API; its exit code, and an API refusal as an error for main.ts. */
function run<Options>(
  version: string,
  env: Environment,
  action: (
    session: ReturnType<typeof apiClient>,
    out: ReturnType<typeof terminalOutput>,
    options: Options,
  ) => Promise<number>,
  asAdmin = false,
) {
  return async (options: Options & ClientFlags) => {
    const config = parseClientConfig(options, env);
    const out = terminalOutput(env);
    const session = apiClient(
      config,
      `credauth-cli/${version}`,
      (line) => out.note(`credauth: ${line}`),
      asAdmin ? config.adminToken : config.token,
    );
    try {
      process.exitCode = await action(session, out, options);
    } catch (error) {
      const refusal = refusalOf(error);
      const token = asAdmin ? config.adminToken : config.token;
      if (refusal instanceof ApiRefusal && refusal.status === 401 && token === null)
        throw new ApiRefusal(
          401,
          `${refusal.message}: give a token in ${asAdmin ? "CREDAUTH_ADMIN_TOKEN or --admin-token-file" : "GH_TOKEN (or GITHUB_TOKEN, --token)"}`,
        );
      throw refusal;
    }
  };
}

type Environment = Record<string, string | undefined>;

/** Adds the commands to `program`; `env` is the environment they read their settings from. */
export function addClientCommands(program: Command, version: string, env: Environment): void {
  connection(
    program
      .command("revoke")
      .description("revoke SSO authorizations (and on EMU destroy credentials) in an enterprise or organization")
      .option("--enterprise <slug>", "the enterprise")
      .option("--org <login>", "or the organization")
      .option("--user <login>", "only this user's")
      .option("--type <type>", "only this credential type (classic_pat, fine_grained_pat, ssh_key, oauth_app_token)")
      .option("--revoke-credentials", "EMU: destroy the PATs and SSH keys too")
      .option("--dry-run", "show what it would do, and do nothing")
      .option("--wait", "follow the job to its end; the exit code says how it ended")
      .option("--yes", "do not ask for the typed confirmation (scripts)")
      .option("--json", "print JSON"),
  ).action(run(version, env, revoke));

  const jobs = program.command("jobs").description("the revocation jobs you can see (credauth)");
  connection(
    jobs
      .command("list", { isDefault: true })
      .description("list them, newest first")
      .option("--state <state>", "queued, running, succeeded or failed")
      .option("--enterprise <slug>", "of this enterprise")
      .option("--org <login>", "of this organization")
      .option("--json", "print JSON"),
  ).action(run(version, env, listJobs));
  connection(jobs.command("show").description("one job").argument("<id>").option("--json", "print JSON")).action(
    (id: string, options: ClientFlags & { json?: boolean }) =>
      run(version, env, (session, out) => showJob(session, out, id, options.json === true))(options),
  );
  connection(
    jobs
      .command("watch")
      .description("follow a job to its end")
      .argument("<id>")
      .option("--json", "print the settled job as JSON"),
  ).action((id: string, options: ClientFlags & { json?: boolean }) =>
    run(version, env, (session, out) => watchJob(session, out, id, options.json === true))(options),
  );

  connection(
    program
      .command("inventory")
      .description("an organization's SSO-authorized credentials, every page")
      .requiredOption("--org <login>", "the organization")
      .option("--user <login>", "only this user's")
      .option("--json", "print JSON")
      .option("--csv", "print CSV"),
  ).action(run(version, env, inventory));

  connection(
    program
      .command("audit")
      .description("every event of an audit log, as JSON lines")
      .option("--enterprise <slug>", "the enterprise's log")
      .option("--org <login>", "or the organization's")
      .option("--phrase <phrase>", "GitHub's search phrase, such as action:org_credential_authorization.revoke")
      .option("--order <order>", "asc or desc (default desc)"),
  ).action(run(version, env, (session, _out, options) => audit(session, options)));

  const token = program.command("token").description("credentials through the provisioning API (credauth)");
  connection(
    token
      .command("create")
      .description("create a credential for a user and print its token once")
      .requiredOption("--user <login>", "the user")
      .requiredOption("--type <type>", "classic_pat, fine_grained_pat, oauth_app_token, github_app_token, …")
      .option("--scopes <list>", "classic scopes, comma-separated")
      .option("--permissions <list>", "fine-grained permissions, name=level comma-separated")
      .option("--resource-owner <name>", "the enterprise or organization a fine-grained token is for")
      .option("--note <text>", "what the token is for")
      .option("--expires-at <date>", "ISO 8601 date-time")
      .option("--authorize <orgs>", "SSO-authorize it for these organizations, comma-separated")
      .option("--admin-token-file <file>", "read the site-admin token from this file (or CREDAUTH_ADMIN_TOKEN)")
      .option("--json", "print JSON"),
  ).action(run(version, env, createToken, true));
}
