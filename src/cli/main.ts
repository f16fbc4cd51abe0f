// `credauth serve | worker | migrate | seed FILE | reset` (server-commands.ts, loaded only when one
// runs), and the responder's commands (client/commands.ts). The only place that reads
// process.env (through parseConfig, parseClientConfig and commander's Option.env) or exits the process.

import { Command, CommanderError, Option } from "commander";
import { ConfigError, type ConfigFlags, ENVIRONMENT } from "../config.ts";
import { redactUrlsIn } from "../domain/webhook-urls.ts";
import { VERSION } from "../version.ts";
import { ApiRefusal } from "./client/api.ts";
import { addClientCommands } from "./client/commands.ts";

/** An option whose environment variable comes from config.ts's one table, so `--help` lists it. */
function option(flags: string, description: string, key: keyof typeof ENVIRONMENT): Option {
  const made = new Option(flags, description);
  const variable = ENVIRONMENT[key];
  return variable ? made.env(variable) : made;
}

const databaseOptions = (command: Command) =>
  command
    .addOption(
      option(
        "--data <dir>",
        "embedded PGlite data folder (default .credauth/data); :memory: keeps the database in memory only",
        "data",
      ),
    )
    .addOption(
      option(
        "--database-url <url>",
        "PostgreSQL connection URL; prefer the environment or a file, which `ps` does not show",
        "databaseUrl",
      ),
    )
    .addOption(
      option("--database-url-file <file>", "read the PostgreSQL connection URL from this file", "databaseUrlFile"),
    )
    .addOption(
      option("--log-level <level>", "fatal, error, warn, info, debug, trace or silent (default info)", "logLevel"),
    )
    .addOption(
      option(
        "--log-format <format>",
        "pretty (readable lines) or json (one object per line); default pretty on a terminal, json otherwise",
        "logFormat",
      ),
    );

const notificationOptions = (command: Command) =>
  command
    .addOption(
      option(
        "--smtp-url <url>",
        "send notification emails through this server (smtp://host:port, smtps://user:pass@host:465); prefer the environment or a file",
        "smtpUrl",
      ),
    )
    .addOption(option("--smtp-url-file <file>", "read the SMTP URL from this file", "smtpUrlFile"))
    .addOption(
      option(
        "--mail-from <address>",
        'the From of notification emails (default "credauth <credauth@localhost>")',
        "mailFrom",
      ),
    )
    // Not through commander's env: it takes any value of a flag's variable, "false" too, as set.
    .addOption(
      new Option(
        "--allow-private-webhooks",
        "post webhooks to private, loopback, link-local and metadata addresses too (refused by default; the variable takes 1 or true) (env: CREDAUTH_ALLOW_PRIVATE_WEBHOOKS)",
      ),
    );

/** Where webhook secrets' encryption key is: every command that may write or read one. */
const secretsOption = (command: Command) =>
  command.addOption(
    option(
      "--secrets-key-file <file>",
      "the key that encrypts webhook secrets (64 hex digits; or CREDAUTH_SECRETS_KEY); embedded default: secrets.key beside the data folder",
      "secretsKeyFile",
    ),
  );

const metricsOptions = (command: Command) =>
  command
    .addOption(
      option(
        "--metrics-port <port>",
        "also serve GET /metrics, without authentication, on this port (the API port serves it to the admin token)",
        "metricsPort",
      ),
    )
    .addOption(option("--metrics-host <host>", "address of the metrics listener (default 127.0.0.1)", "metricsHost"));

const jobOptions = (command: Command) =>
  command
    .addOption(
      option("--job-batch-size <rows>", "rows per transaction in a revocation job (default 2000)", "jobBatchSize"),
    )
    .addOption(
      option(
        "--job-shard-size <ids>",
        "ids per shard; the shards of one revocation are shared by all workers (default 50000)",
        "jobShardSize",
      ),
    )
    .addOption(
      option(
        "--job-heartbeat-seconds <s>",
        "a silent worker's job is retried after this, at least 10 (default 10)",
        "jobHeartbeatSeconds",
      ),
    )
    .addOption(
      option("--job-supervise-seconds <s>", "how often dead workers are looked for (default 5)", "jobSuperviseSeconds"),
    )
    .addOption(
      option(
        "--job-poll-seconds <s>",
        "how often an idle worker polls when LISTEN/NOTIFY cannot wake it (default 0.5)",
        "jobPollSeconds",
      ),
    )
    .addOption(
      option(
        "--job-backstop-seconds <s>",
        "how often a worker that LISTEN/NOTIFY wakes still polls, for retries coming due (default 30)",
        "jobBackstopSeconds",
      ),
    )
    .addOption(
      option(
        "--job-progress-seconds <s>",
        "seconds between two progress lines of a running revocation (default 10)",
        "jobProgressSeconds",
      ),
    )
    .addOption(
      option(
        "--job-webhook-retry-seconds <s>",
        "seconds a webhook that failed waits before its first retry, then backing off (default 5)",
        "jobWebhookRetrySeconds",
      ),
    )
    .addOption(
      option(
        "--job-retry-limit <n>",
        "retries before a job is failed; its containment stays (default 10)",
        "jobRetryLimit",
      ),
    );

const TOKENS_FILE_HELP =
  "write the tokens a fixture load generates to this new file (mode 0600), or - for standard output (default: credauth-tokens-<time>.tsv here)";

/** What every process that may run the worker takes: database, jobs, metrics, notifications, secrets. */
const workingProcessOptions = (command: Command) =>
  secretsOption(notificationOptions(metricsOptions(jobOptions(databaseOptions(command)))));

export function buildCli(): Command {
  // Usage mistakes are one line on stderr and exit 2, like every other start-up failure; the
  // settings reach every subcommand created below.
  const program = new Command("credauth")
    .description("GitHub Enterprise Cloud's credential-authorization API, self-hosted and stateful")
    .version(VERSION, "-V, --version")
    .exitOverride()
    .configureOutput({
      outputError: (text, write) =>
        write(
          `credauth: ${text
            .replace(/^error: /, "")
            .trim()
            .replace(/\s*\n\s*/g, " ")} (see --help)\n`,
        ),
    });

  workingProcessOptions(
    program
      .command("serve")
      .description("run the HTTP API (and, unless --no-worker, the background worker)")
      .addOption(option("--port <port>", "port to listen on (default 3000)", "port"))
      .addOption(option("--host <host>", "address to listen on (default 127.0.0.1)", "host"))
      .addOption(
        option(
          "--rate-limit <mode>",
          "github: GitHub's rate limits, enforced; off: none (default github)",
          "rateLimit",
        ),
      )
      .addOption(
        option(
          "--rate-limit-redis-url <url>",
          "count the rate limits in this Redis, shared by every serve process (default: in this process's memory)",
          "rateLimitRedisUrl",
        ),
      )
      .addOption(
        option(
          "--rate-limit-redis-prefix <prefix>",
          "the prefix of credauth's keys in that Redis (default credauth)",
          "rateLimitRedisPrefix",
        ),
      )
      .addOption(
        option(
          "--user-agent <mode>",
          "required: refuse requests without a User-Agent with GitHub's 403; optional: accept them (default required)",
          "userAgent",
        ),
      )
      .addOption(
        option(
          "--public-url <url>",
          "base of the API URLs credauth hands out (Location, links); default http://HOST:PORT",
          "publicUrl",
        ),
      )
      .option("--seed <file>", "load this fixture file at start-up")
      .option("--tokens-file <file>", TOKENS_FILE_HELP)
      .option("--no-worker", "do not process revocation jobs in this process")
      .option("--demo", "load the bundled demo world when the database is empty")
      .option(
        "--clock <time>",
        "start the clock every rule reads at this ISO 8601 time (before any world is loaded; for tests)",
      )
      .addOption(
        option(
          "--web-url <url>",
          "base URL for web links such as the SSO authorization URL (default https://github.com)",
          "webUrl",
        ),
      )
      .addOption(
        option(
          "--admin-token <token>",
          "enable the provisioning API under /_credauth/admin; prefer the environment or --admin-token-file",
          "adminToken",
        ),
      )
      .addOption(
        option(
          "--admin-token-file <file>",
          "read the site-admin token from this file (its first line)",
          "adminTokenFile",
        ),
      )
      .addOption(option("--tls-cert <file>", "serve HTTPS with this certificate (PEM; with --tls-key)", "tlsCert"))
      .addOption(option("--tls-key <file>", "the certificate's private key (PEM)", "tlsKey"))
      .option(
        "--tls-self-signed",
        "serve HTTPS with a self-signed certificate made for the listening host and kept beside the data folder",
      ),
  ).action(async (flags: ConfigFlags) => (await server()).serve(flags));

  workingProcessOptions(
    program.command("worker").description("process revocation jobs and deliver notifications (PostgreSQL only)"),
  ).action(async (flags: ConfigFlags) => (await server()).worker(flags));
  databaseOptions(program.command("migrate").description("bring the database schema up to date and exit")).action(
    async (flags: ConfigFlags) => (await server()).migrateCommand(flags),
  );
  secretsOption(
    databaseOptions(
      program
        .command("seed")
        .description("load a fixture file (YAML or JSON) into the database")
        .argument("<file>")
        .option("--tokens-file <file>", TOKENS_FILE_HELP),
    ),
  ).action(async (file: string, flags: ConfigFlags) => (await server()).seedCommand(file, flags));
  secretsOption(
    databaseOptions(
      program
        .command("reset")
        .description(
          "start an embedded database afresh: the demo world, or a fixture (refused while a server runs on it)",
        )
        .option("--fixture <file>", "load this fixture instead of the demo world")
        .option("--tokens-file <file>", TOKENS_FILE_HELP),
    ),
  ).action(async (flags: ConfigFlags & { fixture?: string }) => (await server()).resetCommand(flags));
  addClientCommands(program, VERSION, process.env);
  return program;
}

type ServerCommands = typeof import("./server-commands.ts");
let serverCommands: ServerCommands | null = null;

/** The server commands' module, loaded on first use (it brings Fastify, PGlite, pg-boss, …). */
async function server(): Promise<ServerCommands> {
  serverCommands ??= await import("./server-commands.ts");
  return serverCommands;
}

/** What went wrong at start-up, as one line for a person; null for a fault of ours. */
function startupFailure(error: unknown): string | null {
  if (error instanceof ApiRefusal || error instanceof ConfigError) return error.message;
  const described = serverCommands?.describeServerFailure(error) ?? null;
  if (described !== null) return described;
  const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
  if (code === "EADDRINUSE")
    return `cannot listen: ${(error as Error).message.replace(/^listen /, "")} (the port is in use). Choose another with --port.`;
  if (code === "EACCES" || code === "EADDRNOTAVAIL")
    return `cannot listen: ${(error as Error).message.replace(/^listen /, "")}. Check --host and --port.`;
  if (code === "ENOENT" || code === "EACCES" || code === "EISDIR" || code === "ENOTDIR")
    return (error as Error).message;
  return null;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2); // commander has written its line
    const line = startupFailure(error);
    if (line !== null) {
      console.error(`credauth: ${line}`);
      // A refusal by the API is an outcome, not a usage mistake.
      process.exit(error instanceof ApiRefusal ? 1 : 2);
    }
    // A fault of ours: one line, and the details only when asked for.
    console.error(
      `credauth: unexpected error: ${redactUrlsIn(error instanceof Error ? error.message : String(error))}`,
    );
    // The stack only, its URLs cut: an error object's own fields (a URL error's `input`) may hold a secret.
    if (process.env.CREDAUTH_LOG_LEVEL === "debug" || process.env.CREDAUTH_LOG_LEVEL === "trace")
      console.error(redactUrlsIn(error instanceof Error ? String(error.stack) : String(error)));
    else console.error("credauth: run with CREDAUTH_LOG_LEVEL=debug for details.");
    process.exit(1);
  }
}
