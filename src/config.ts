// Configuration is parsed once, here, from command-line flags and the environment, validated, and
// frozen. Nothing else in credauth reads process.env: the parsed Config is passed down.

import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** `github`: GitHub's rate limits, enforced; `off`: none, and no x-ratelimit-* headers (test suites that need it). */
export type RateLimitMode = "github" | "off";
const RATE_LIMIT_MODES: readonly RateLimitMode[] = ["github", "off"];

/** `required`: a request without User-Agent is refused with GitHub's 403; `optional`: accepted. */
export type UserAgentMode = "required" | "optional";
const USER_AGENT_MODES: readonly UserAgentMode[] = ["required", "optional"];

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** `json`: one JSON object per line, for a log collector; `pretty`: readable lines, for a person. */
export type LogFormat = "pretty" | "json";
const LOG_FORMATS: readonly LogFormat[] = ["pretty", "json"];

export type DatabaseConfig =
  /** Embedded PGlite; `dataDir` null keeps the database in memory (tests). */
  { kind: "pglite"; dataDir: string | null } | { kind: "postgres"; url: string };

/** Where the key that encrypts stored secrets (webhook signing secrets) comes from; see src/secrets.ts. */
export type SecretsKeySource = { kind: "hex"; hex: string } | { kind: "file"; file: string; create: boolean };

/** Email to the people whose credentials a revocation touched. */
export interface MailConfig {
  /** smtp:// or smtps:// with any user and password, e.g. smtps://user:pass@mail.example.com:465. */
  smtpUrl: string;
  /** The From header. (Default: credauth <credauth@localhost>) */
  from: string;
}

export interface JobsConfig {
  /** Rows per transaction when materializing a revocation. (Default: 2000) */
  batchSize: number;
  /** A running job whose worker is silent this long is retried by another. pg-boss minimum 10. (Default: 10) */
  heartbeatSeconds: number;
  /** How often pg-boss looks for jobs whose worker died. (Default: 5) */
  superviseIntervalSeconds: number;
  /** How often an idle worker polls when LISTEN/NOTIFY cannot wake it (say, behind PgBouncer). (Default: 0.5) */
  pollingIntervalSeconds: number;
  /** How often a worker that LISTEN/NOTIFY wakes still polls: for retries coming due. (Default: 30) */
  backstopSeconds: number;
  /** Attempts after the first before a revocation is marked failed. (Default: 10) */
  retryLimit: number;
  /** Ids per shard; shards of one revocation are drained by any number of workers. (Default: 50000) */
  shardSize: number;
  /** Seconds between two progress lines of a running revocation, per worker. (Default: 10) */
  progressSeconds: number;
  /** Seconds a webhook that failed waits before its first retry; later retries back off. (Default: 5) */
  webhookRetrySeconds: number;
}

export interface Config {
  database: DatabaseConfig;
  http: { host: string; port: number };
  /**
   * HTTPS with this certificate and key (PEM files), or plain HTTP. (Default: none) With
   * `selfSigned`, `serve` makes the pair there first if it is missing (src/cli/tls.ts).
   */
  tls: { certFile: string; keyFile: string; selfSigned: boolean } | null;
  /**
   * A second listener serving only GET /metrics, without authentication. (Default: none; the API
   * port serves /metrics to the admin token) Its host defaults to 127.0.0.1: metrics are not public.
   */
  metrics: { host: string; port: number } | null;
  /** Where notification emails go. (Default: none: they are recorded, and marked not sent) */
  mail: MailConfig | null;
  /**
   * Webhooks may be posted to private, loopback, link-local and metadata addresses (test setups,
   * receivers on a private network). (Default: false: such destinations are refused, checked on
   * the address connected to)
   */
  allowPrivateWebhooks: boolean;
  /**
   * The key that encrypts webhook secrets. (Default: embedded, a secrets.key file made beside the
   * data folder; PostgreSQL, none, and a webhook secret is refused until one is configured)
   */
  secretsKey: SecretsKeySource | null;
  /** Run the background worker inside `serve`. (Default: true) */
  runWorker: boolean;
  /** A fixture file loaded at start-up. (Default: none) */
  seedFile: string | null;
  /** `serve --demo`: load the bundled demo world when the database is empty. (Default: false; `npm start` sets it) */
  seedDemoWhenEmpty: boolean;
  /** `serve --clock`: the time, in epoch milliseconds, the clock is set to at start-up. (Default: null, left as it is) */
  clockStartMs: number | null;
  /** Where a load writes the tokens it generated ("-": standard output); null: a new file in the working folder. */
  tokensFile: string | null;
  logLevel: LogLevel;
  /** (Default: pretty when standard output is a terminal, json otherwise; the CLI decides) */
  logFormat: LogFormat;
  /** Base of the web URLs credauth hands out (the SSO authorization URL). (Default: https://github.com) */
  webUrl: string;
  /**
   * Base of the API URLs credauth hands out (Location, `url` fields, Link headers). Never taken
   * from the request's Host header, which belongs to the caller. (Default: http://HOST:PORT as listening)
   */
  publicUrl: string | null;
  /**
   * The site-admin token of the provisioning API under /_credauth/admin. (Default: none, and the
   * admin API does not exist.) Never has a default value: a known secret would be no secret.
   */
  adminToken: string | null;
  /** GitHub's rate limits enforced, or none. (Default: github) */
  rateLimit: RateLimitMode;
  /**
   * Where the rate limits' counters live: one Redis shared by every `serve` (one limit per user
   * and per address across processes), or this process's memory. (Default: memory, per process)
   */
  rateLimitStore: { kind: "memory" } | { kind: "redis"; url: string; keyPrefix: string };
  /** Requests without a User-Agent refused as GitHub refuses them, or accepted. (Default: required) */
  userAgent: UserAgentMode;
  jobs: JobsConfig;
}

/** Job defaults, in one place: parseConfig applies them, and code that runs jobs without a Config too. */
export const JOB_DEFAULTS = {
  batchSize: 2000,
  heartbeatSeconds: 10,
  superviseIntervalSeconds: 5,
  pollingIntervalSeconds: 0.5,
  backstopSeconds: 30,
  retryLimit: 10,
  /** A million authorizations make 20 shards for the workers to share. */
  shardSize: 50_000,
  progressSeconds: 10,
  webhookRetrySeconds: 5,
} as const satisfies JobsConfig;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export const DEFAULT_DATA_DIR = ".credauth/data";

/** Flags as the CLI parsed them; every field optional. */
export interface ConfigFlags {
  port?: string | number;
  host?: string;
  data?: string;
  databaseUrl?: string;
  databaseUrlFile?: string;
  seed?: string;
  tokensFile?: string;
  worker?: boolean;
  logLevel?: string;
  logFormat?: string;
  metricsPort?: string | number;
  metricsHost?: string;
  smtpUrl?: string;
  smtpUrlFile?: string;
  mailFrom?: string;
  allowPrivateWebhooks?: boolean;
  secretsKeyFile?: string;
  webUrl?: string;
  publicUrl?: string;
  demo?: boolean;
  clock?: string;
  adminToken?: string;
  adminTokenFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsSelfSigned?: boolean;
  rateLimit?: string;
  rateLimitRedisUrl?: string;
  rateLimitRedisPrefix?: string;
  userAgent?: string;
  jobBatchSize?: string;
  jobHeartbeatSeconds?: string;
  jobSuperviseSeconds?: string;
  jobPollSeconds?: string;
  jobBackstopSeconds?: string;
  jobProgressSeconds?: string;
  jobWebhookRetrySeconds?: string;
  jobRetryLimit?: string;
  jobShardSize?: string;
}

/**
 * The environment variable behind each flag, in one place: parseConfig reads them, and the CLI
 * declares them on its options so that `--help` lists them.
 */
export const ENVIRONMENT: Readonly<Record<keyof ConfigFlags & string, string | undefined>> = {
  port: "PORT",
  host: "HOST",
  data: "CREDAUTH_DATA_DIR",
  databaseUrl: "DATABASE_URL",
  databaseUrlFile: "DATABASE_URL_FILE",
  seed: undefined,
  tokensFile: undefined,
  worker: undefined,
  logLevel: "CREDAUTH_LOG_LEVEL",
  logFormat: "CREDAUTH_LOG_FORMAT",
  metricsPort: "CREDAUTH_METRICS_PORT",
  metricsHost: "CREDAUTH_METRICS_HOST",
  smtpUrl: "CREDAUTH_SMTP_URL",
  smtpUrlFile: "CREDAUTH_SMTP_URL_FILE",
  mailFrom: "CREDAUTH_MAIL_FROM",
  allowPrivateWebhooks: "CREDAUTH_ALLOW_PRIVATE_WEBHOOKS",
  secretsKeyFile: "CREDAUTH_SECRETS_KEY_FILE",
  webUrl: "CREDAUTH_WEB_URL",
  publicUrl: "CREDAUTH_PUBLIC_URL",
  demo: undefined,
  clock: undefined,
  adminToken: "CREDAUTH_ADMIN_TOKEN",
  adminTokenFile: "CREDAUTH_ADMIN_TOKEN_FILE",
  tlsCert: "CREDAUTH_TLS_CERT",
  tlsKey: "CREDAUTH_TLS_KEY",
  tlsSelfSigned: undefined,
  rateLimit: "CREDAUTH_RATE_LIMIT",
  rateLimitRedisUrl: "CREDAUTH_RATE_LIMIT_REDIS_URL",
  rateLimitRedisPrefix: "CREDAUTH_RATE_LIMIT_REDIS_PREFIX",
  userAgent: "CREDAUTH_USER_AGENT",
  jobBatchSize: "CREDAUTH_JOB_BATCH_SIZE",
  jobHeartbeatSeconds: "CREDAUTH_JOB_HEARTBEAT_SECONDS",
  jobSuperviseSeconds: "CREDAUTH_JOB_SUPERVISE_SECONDS",
  jobPollSeconds: "CREDAUTH_JOB_POLL_SECONDS",
  jobBackstopSeconds: "CREDAUTH_JOB_BACKSTOP_SECONDS",
  jobProgressSeconds: "CREDAUTH_JOB_PROGRESS_SECONDS",
  jobWebhookRetrySeconds: "CREDAUTH_JOB_WEBHOOK_RETRY_SECONDS",
  jobRetryLimit: "CREDAUTH_JOB_RETRY_LIMIT",
  jobShardSize: "CREDAUTH_JOB_SHARD_SIZE",
};

/** Refuses a PEM file option that names something unreadable, or not PEM. */
function pemFile(name: string, path: string): void {
  try {
    if (!readFileSync(path, "utf8").includes("-----BEGIN "))
      throw new ConfigError(`${name} ${path} is not a PEM file.`);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(
      `${name} ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}).`,
    );
  }
}

/**
 * `--tls-cert` and `--tls-key` come together (checked to be readable PEM now), or `--tls-self-signed`
 * names a pair in `tls/` beside the data folder (`.credauth/tls` with PostgreSQL), or neither.
 */
function tlsFrom(flags: ConfigFlags, env: NodeJS.ProcessEnv, cwd: string, database: DatabaseConfig): Config["tls"] {
  const certPath = flags.tlsCert ?? env.CREDAUTH_TLS_CERT;
  const keyPath = flags.tlsKey ?? env.CREDAUTH_TLS_KEY;
  if (flags.tlsSelfSigned) {
    if (certPath || keyPath)
      throw new ConfigError("--tls-self-signed makes its own certificate: leave out --tls-cert and --tls-key.");
    const dataDir = database.kind === "pglite" ? database.dataDir : null;
    const folder = dataDir ? join(dirname(dataDir), "tls") : resolve(cwd, ".credauth", "tls");
    return { certFile: join(folder, "cert.pem"), keyFile: join(folder, "key.pem"), selfSigned: true };
  }
  if (!certPath && !keyPath) return null;
  if (!certPath || !keyPath) {
    throw new ConfigError(
      "--tls-cert / CREDAUTH_TLS_CERT and --tls-key / CREDAUTH_TLS_KEY go together: give both PEM files, or use --tls-self-signed.",
    );
  }
  const certFile = resolve(cwd, certPath);
  const keyFile = resolve(cwd, keyPath);
  pemFile("--tls-cert", certFile);
  pemFile("--tls-key", keyFile);
  return { certFile, keyFile, selfSigned: false };
}

/** A secret given as a file (`--admin-token-file`, Docker/Kubernetes secrets): its first line. */
function secretFromFile(name: string, path: string | undefined): string | undefined {
  if (path === undefined || path === "") return undefined;
  try {
    return readFileSync(path, "utf8").split(/\r?\n/)[0]!.trim();
  } catch (error) {
    throw new ConfigError(
      `${name} ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}).`,
    );
  }
}

/** The site-admin token: the flag, its file, the variable, its file — the first given. */
function adminTokenFrom(
  flags: { adminToken?: string; adminTokenFile?: string },
  env: Record<string, string | undefined>,
): string | null {
  return (
    flags.adminToken ??
    secretFromFile("--admin-token-file", flags.adminTokenFile) ??
    env.CREDAUTH_ADMIN_TOKEN ??
    secretFromFile("CREDAUTH_ADMIN_TOKEN_FILE", env.CREDAUTH_ADMIN_TOKEN_FILE) ??
    null
  );
}

function integerIn(
  name: string,
  raw: string | number | undefined,
  fallback: number,
  min: number,
  max: number,
  hint: string,
): number {
  if (raw === undefined || raw === "") return fallback;
  const value = typeof raw === "number" ? raw : Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}. ${hint}`);
  }
  return value;
}

function numberIn(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a number from ${min} to ${max}, got ${JSON.stringify(raw)}.`);
  }
  return value;
}

export function parseConfig(
  flags: ConfigFlags,
  env: Record<string, string | undefined>,
  cwd = process.cwd(),
): Readonly<Config> {
  const databaseUrl =
    flags.databaseUrl ??
    secretFromFile("--database-url-file", flags.databaseUrlFile) ??
    env.DATABASE_URL ??
    secretFromFile("DATABASE_URL_FILE", env.DATABASE_URL_FILE);
  const dataDir = flags.data ?? env.CREDAUTH_DATA_DIR;
  if ((flags.databaseUrl !== undefined || flags.databaseUrlFile !== undefined) && flags.data !== undefined) {
    throw new ConfigError(
      "--data and --database-url both choose a database: pass --data DIR for embedded PGlite, or --database-url URL for PostgreSQL, not both.",
    );
  }
  let database: DatabaseConfig;
  if (databaseUrl !== undefined && databaseUrl !== "" && flags.data === undefined) {
    if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
      throw new ConfigError(
        `DATABASE_URL / --database-url must be a postgres:// URL (e.g. postgres://postgres@127.0.0.1:5432/credauth). ` +
          `Omit it to use the embedded PGlite database in --data DIR.`,
      );
    }
    database = { kind: "postgres", url: databaseUrl };
  } else {
    database = { kind: "pglite", dataDir: dataDir === ":memory:" ? null : resolve(cwd, dataDir ?? DEFAULT_DATA_DIR) };
  }

  const port = integerIn("--port / PORT", flags.port ?? env.PORT, 3000, 0, 65535, "Use 0 to pick a free port.");
  const host = flags.host ?? env.HOST ?? "127.0.0.1";
  const logLevel = (flags.logLevel ?? env.CREDAUTH_LOG_LEVEL ?? "info") as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(
      `--log-level / CREDAUTH_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(logLevel)}.`,
    );
  }
  const logFormat = (flags.logFormat ?? env.CREDAUTH_LOG_FORMAT ?? "json") as LogFormat;
  if (!LOG_FORMATS.includes(logFormat)) {
    throw new ConfigError(
      `--log-format / CREDAUTH_LOG_FORMAT must be pretty (readable lines) or json (one object per line), got ${JSON.stringify(logFormat)}.`,
    );
  }
  const webUrl = (flags.webUrl ?? env.CREDAUTH_WEB_URL ?? "https://github.com").replace(/\/+$/, "");
  if (!/^https?:\/\/[^\s]+$/.test(webUrl)) {
    throw new ConfigError(`--web-url / CREDAUTH_WEB_URL must be an http(s) URL, got ${JSON.stringify(webUrl)}.`);
  }

  const publicUrlText = flags.publicUrl ?? env.CREDAUTH_PUBLIC_URL;
  const publicUrl = publicUrlText === undefined || publicUrlText === "" ? null : publicUrlText.replace(/\/+$/, "");
  if (publicUrl !== null && !/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(publicUrl)) {
    throw new ConfigError(
      `--public-url / CREDAUTH_PUBLIC_URL must be an http(s) URL without query, such as https://credauth.example.com, got ${JSON.stringify(publicUrlText)}.`,
    );
  }

  const adminToken = adminTokenFrom(flags, env);
  if (adminToken !== null && !/^[\x21-\x7e]{32,256}$/.test(adminToken)) {
    throw new ConfigError(
      "--admin-token / CREDAUTH_ADMIN_TOKEN must be 32 to 256 printable characters without spaces; generate one with `openssl rand -hex 32`.",
    );
  }

  const rateLimit = (flags.rateLimit ?? env.CREDAUTH_RATE_LIMIT ?? "github") as RateLimitMode;
  if (!RATE_LIMIT_MODES.includes(rateLimit)) {
    throw new ConfigError(
      `--rate-limit / CREDAUTH_RATE_LIMIT must be github (GitHub's limits, enforced) or off, got ${JSON.stringify(rateLimit)}.`,
    );
  }

  const redisUrl = flags.rateLimitRedisUrl ?? env.CREDAUTH_RATE_LIMIT_REDIS_URL;
  const redisPrefix = flags.rateLimitRedisPrefix ?? env.CREDAUTH_RATE_LIMIT_REDIS_PREFIX ?? "credauth";
  if (redisUrl !== undefined && !/^rediss?:\/\/\S+$/.test(redisUrl))
    throw new ConfigError(
      `--rate-limit-redis-url / CREDAUTH_RATE_LIMIT_REDIS_URL must be redis://host:6379 or rediss://user:password@host:6380, got ${JSON.stringify(redactUrl(redisUrl))}.`,
    );
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(redisPrefix))
    throw new ConfigError(
      `--rate-limit-redis-prefix / CREDAUTH_RATE_LIMIT_REDIS_PREFIX must be 1 to 64 letters, digits, _ . : or -, got ${JSON.stringify(redisPrefix)}.`,
    );
  const rateLimitStore =
    redisUrl === undefined
      ? ({ kind: "memory" } as const)
      : ({ kind: "redis", url: redisUrl, keyPrefix: redisPrefix } as const);

  const userAgent = (flags.userAgent ?? env.CREDAUTH_USER_AGENT ?? "required") as UserAgentMode;
  if (!USER_AGENT_MODES.includes(userAgent)) {
    throw new ConfigError(
      `--user-agent / CREDAUTH_USER_AGENT must be required (refuse requests without one, as GitHub does) or optional, got ${JSON.stringify(userAgent)}.`,
    );
  }

  const metricsPortText = flags.metricsPort ?? env.CREDAUTH_METRICS_PORT;
  const metrics =
    metricsPortText === undefined || metricsPortText === ""
      ? null
      : {
          port: integerIn(
            "--metrics-port / CREDAUTH_METRICS_PORT",
            metricsPortText,
            0,
            0,
            65535,
            "Use 0 to pick a free port; leave it out to serve /metrics on the API port only.",
          ),
          host: flags.metricsHost ?? env.CREDAUTH_METRICS_HOST ?? "127.0.0.1",
        };
  if (metrics && metrics.port !== 0 && metrics.port === port && metrics.host === host) {
    throw new ConfigError(
      `--metrics-port ${metrics.port} is the API's port; pick another, or leave it out to serve /metrics on the API port to the admin token.`,
    );
  }

  const smtpUrl = flags.smtpUrl ?? secretFromFile("--smtp-url-file", flags.smtpUrlFile);
  const mailUrl =
    smtpUrl ?? env.CREDAUTH_SMTP_URL ?? secretFromFile("CREDAUTH_SMTP_URL_FILE", env.CREDAUTH_SMTP_URL_FILE);
  if (mailUrl !== undefined && !isSmtpUrl(mailUrl)) {
    throw new ConfigError(
      `--smtp-url / CREDAUTH_SMTP_URL must be smtp://host:port or smtps://user:password@host:465, got ${JSON.stringify(redactUrl(mailUrl))}.`,
    );
  }
  const from = flags.mailFrom ?? env.CREDAUTH_MAIL_FROM ?? "credauth <credauth@localhost>";
  if (!/^(?:[^<>@\s][^<>@]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/.test(from)) {
    throw new ConfigError(
      `--mail-from / CREDAUTH_MAIL_FROM must be an address such as "credauth <security@example.com>", got ${JSON.stringify(from)}.`,
    );
  }
  const secretsKeyHex = env.CREDAUTH_SECRETS_KEY;
  if (secretsKeyHex !== undefined && !/^[0-9a-fA-F]{64}$/.test(secretsKeyHex)) {
    throw new ConfigError(
      "CREDAUTH_SECRETS_KEY must be 64 hexadecimal digits (32 bytes); make one with `openssl rand -hex 32`.",
    );
  }
  const secretsKeyFile = flags.secretsKeyFile ?? env.CREDAUTH_SECRETS_KEY_FILE;
  const secretsKey: SecretsKeySource | null =
    secretsKeyHex !== undefined
      ? { kind: "hex", hex: secretsKeyHex }
      : secretsKeyFile
        ? { kind: "file", file: resolve(cwd, secretsKeyFile), create: false }
        : database.kind === "pglite" && database.dataDir !== null
          ? { kind: "file", file: join(dirname(database.dataDir), "secrets.key"), create: true }
          : null;

  const clockStartMs = flags.clock === undefined ? null : Date.parse(flags.clock);
  if (clockStartMs !== null && (Number.isNaN(clockStartMs) || !/^\d{4}-\d\d-\d\dT/.test(flags.clock!)))
    throw new ConfigError(
      `--clock must be an ISO 8601 time such as 2027-01-01T00:00:00Z, got ${JSON.stringify(flags.clock)}.`,
    );
  const config: Config = {
    database,
    http: { host, port },
    metrics,
    mail: mailUrl === undefined ? null : { smtpUrl: mailUrl, from },
    allowPrivateWebhooks:
      flags.allowPrivateWebhooks ?? /^(?:1|true|yes)$/i.test(env.CREDAUTH_ALLOW_PRIVATE_WEBHOOKS ?? ""),
    secretsKey,
    tls: tlsFrom(flags, env, cwd, database),
    runWorker: flags.worker ?? true,
    seedFile: flags.seed ? resolve(cwd, flags.seed) : null,
    seedDemoWhenEmpty: flags.demo ?? false,
    clockStartMs,
    tokensFile: flags.tokensFile === "-" ? "-" : flags.tokensFile ? resolve(cwd, flags.tokensFile) : null,
    logLevel,
    logFormat,
    webUrl,
    publicUrl,
    adminToken,
    rateLimit,
    rateLimitStore,
    userAgent,
    jobs: {
      batchSize: integerIn(
        "--job-batch-size / CREDAUTH_JOB_BATCH_SIZE",
        flags.jobBatchSize ?? env.CREDAUTH_JOB_BATCH_SIZE,
        JOB_DEFAULTS.batchSize,
        1,
        100_000,
        "Rows per transaction; 2000 is a good start.",
      ),
      heartbeatSeconds: integerIn(
        "--job-heartbeat-seconds / CREDAUTH_JOB_HEARTBEAT_SECONDS",
        flags.jobHeartbeatSeconds ?? env.CREDAUTH_JOB_HEARTBEAT_SECONDS,
        JOB_DEFAULTS.heartbeatSeconds,
        10,
        3600,
        "pg-boss requires at least 10.",
      ),
      superviseIntervalSeconds: integerIn(
        "--job-supervise-seconds / CREDAUTH_JOB_SUPERVISE_SECONDS",
        flags.jobSuperviseSeconds ?? env.CREDAUTH_JOB_SUPERVISE_SECONDS,
        JOB_DEFAULTS.superviseIntervalSeconds,
        1,
        3600,
        "",
      ),
      pollingIntervalSeconds: numberIn(
        "--job-poll-seconds / CREDAUTH_JOB_POLL_SECONDS",
        flags.jobPollSeconds ?? env.CREDAUTH_JOB_POLL_SECONDS,
        JOB_DEFAULTS.pollingIntervalSeconds,
        0.5,
        60,
      ),
      backstopSeconds: numberIn(
        "--job-backstop-seconds / CREDAUTH_JOB_BACKSTOP_SECONDS",
        flags.jobBackstopSeconds ?? env.CREDAUTH_JOB_BACKSTOP_SECONDS,
        JOB_DEFAULTS.backstopSeconds,
        0.5,
        3600,
      ),
      retryLimit: integerIn(
        "--job-retry-limit / CREDAUTH_JOB_RETRY_LIMIT",
        flags.jobRetryLimit ?? env.CREDAUTH_JOB_RETRY_LIMIT,
        JOB_DEFAULTS.retryLimit,
        0,
        1000,
        "",
      ),
      shardSize: integerIn(
        "--job-shard-size / CREDAUTH_JOB_SHARD_SIZE",
        flags.jobShardSize ?? env.CREDAUTH_JOB_SHARD_SIZE,
        JOB_DEFAULTS.shardSize,
        100,
        100_000_000,
        "Ids per shard; 50000 is a good start.",
      ),
      progressSeconds: numberIn(
        "--job-progress-seconds / CREDAUTH_JOB_PROGRESS_SECONDS",
        flags.jobProgressSeconds ?? env.CREDAUTH_JOB_PROGRESS_SECONDS,
        JOB_DEFAULTS.progressSeconds,
        1,
        3600,
      ),
      webhookRetrySeconds: integerIn(
        "--job-webhook-retry-seconds / CREDAUTH_JOB_WEBHOOK_RETRY_SECONDS",
        flags.jobWebhookRetrySeconds ?? env.CREDAUTH_JOB_WEBHOOK_RETRY_SECONDS,
        JOB_DEFAULTS.webhookRetrySeconds,
        1,
        3600,
        "Seconds before a failed webhook's first retry; 5 is a good start.",
      ),
    },
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (value !== null && typeof value === "object") {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** A connection URL fit for a log line or a message: the password replaced. */
/** smtp(s)://[user[:password]@]host[:port][/][?options], with a host and a port a URL can have. */
function isSmtpUrl(text: string): boolean {
  if (!/^smtps?:\/\/[^\s/]+(?::\d+)?\/?(?:\?\S*)?$/.test(text)) return false;
  try {
    const url = new URL(text);
    return url.hostname !== "" && (url.port === "" || Number(url.port) > 0);
  } catch {
    return false;
  }
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "redacted";
    return parsed.toString();
  } catch {
    return "(a malformed URL)";
  }
}

/** What the responder's commands (`credauth revoke`, `jobs`, `inventory`, `audit`, `token`) talk to. */
export interface ClientConfig {
  /** The API's base URL: credauth's, or GitHub's (`https://api.github.com`) for GitHub's endpoints. */
  url: string;
  /** The token the commands send; null when none was given. */
  token: string | null;
  /** A certificate to trust besides the system's (credauth's self-signed one, say). */
  caFile: string | null;
  /** The site-admin token, for `credauth token create` (the provisioning API). */
  adminToken: string | null;
}

export interface ClientFlags {
  url?: string;
  token?: string;
  ca?: string;
  adminToken?: string;
  adminTokenFile?: string;
}

/**
 * The client commands' settings: flags first, then `CREDAUTH_URL`, `GH_TOKEN`/`GITHUB_TOKEN` (as
 * gh reads them), `CREDAUTH_CA_FILE`, `CREDAUTH_ADMIN_TOKEN`/`CREDAUTH_ADMIN_TOKEN_FILE`.
 */
export function parseClientConfig(flags: ClientFlags, env: Record<string, string | undefined>): Readonly<ClientConfig> {
  const url = (flags.url ?? env.CREDAUTH_URL ?? "http://127.0.0.1:3000").replace(/\/+$/, "");
  if (!/^https?:\/\/[^\s?#]+$/.test(url)) {
    throw new ConfigError(
      `--url / CREDAUTH_URL must be the API's http(s) base URL, such as http://127.0.0.1:3000 or https://api.github.com, got ${JSON.stringify(url)}.`,
    );
  }
  const token = flags.token ?? (env.GH_TOKEN || undefined) ?? (env.GITHUB_TOKEN || undefined) ?? null;
  const caPath = flags.ca ?? env.CREDAUTH_CA_FILE;
  const caFile = caPath ? resolve(caPath) : null;
  if (caFile) pemFile("--ca", caFile);
  const adminToken = adminTokenFrom(flags, env);
  return deepFreeze({ url, token, caFile, adminToken });
}
