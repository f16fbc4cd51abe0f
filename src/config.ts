// Configuration is parsed once, here, from command-line flags and the environment, validated, and
// frozen. Nothing else in credauth reads process.env: the parsed Config is passed down.
import { resolve } from "node:path";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

export type DatabaseConfig =
  /** Embedded PGlite; `dataDir` null keeps the database in memory (tests). */
  | { kind: "pglite"; dataDir: string | null }
  | { kind: "postgres"; url: string };

export interface JobsConfig {
  /** Rows per transaction when materializing a revocation. (Default: 2000) */
  batchSize: number;
  /** A running job whose worker is silent this long is retried by another. pg-boss minimum 10. (Default: 10) */
  heartbeatSeconds: number;
  /** How often pg-boss looks for jobs whose worker died. (Default: 5) */
  superviseIntervalSeconds: number;
  /** How often an idle worker polls for new jobs. (Default: 0.5) */
  pollingIntervalSeconds: number;
  /** Attempts after the first before a revocation is marked failed. (Default: 10) */
  retryLimit: number;
  /** Ids per shard; shards of one revocation are drained by any number of workers. (Default: 50000) */
  shardSize: number;
}

export interface Config {
  database: DatabaseConfig;
  http: { host: string; port: number };
  /** Run the background worker inside `serve`. (Default: true) */
  runWorker: boolean;
  /** A fixture file loaded at start-up. (Default: none) */
  seedFile: string | null;
  /** `serve --demo`: load the bundled demo world when the database is empty. (Default: false; `npm start` sets it) */
  seedDemoWhenEmpty: boolean;
  logLevel: LogLevel;
  /** Base of the web URLs credauth hands out (the SSO authorization URL). (Default: https://github.com) */
  webUrl: string;
  /**
   * The site-admin token of the provisioning API under /_credauth/admin. (Default: none, and the
   * admin API does not exist.) Never has a default value: a known secret would be no secret.
   */
  adminToken: string | null;
  jobs: JobsConfig;
}

/** Job defaults, in one place: parseConfig applies them, and code that runs jobs without a Config too. */
export const JOB_DEFAULTS = {
  batchSize: 2000,
  heartbeatSeconds: 10,
  superviseIntervalSeconds: 5,
  pollingIntervalSeconds: 0.5,
  retryLimit: 10,
  /** A million authorizations make 20 shards for the workers to share. */
  shardSize: 50_000,
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
  seed?: string;
  worker?: boolean;
  logLevel?: string;
  webUrl?: string;
  demo?: boolean;
  adminToken?: string;
}

function integerIn(name: string, raw: string | number | undefined, fallback: number, min: number, max: number, hint: string): number {
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

export function parseConfig(flags: ConfigFlags, env: Record<string, string | undefined>, cwd = process.cwd()): Readonly<Config> {
  const databaseUrl = flags.databaseUrl ?? env.DATABASE_URL;
  const dataDir = flags.data ?? env.CREDAUTH_DATA_DIR;
  if (flags.databaseUrl !== undefined && flags.data !== undefined) {
    throw new ConfigError("--data and --database-url both choose a database: pass --data DIR for embedded PGlite, or --database-url URL for PostgreSQL, not both.");
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
    throw new ConfigError(`--log-level / CREDAUTH_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(logLevel)}.`);
  }
  const webUrl = (flags.webUrl ?? env.CREDAUTH_WEB_URL ?? "https://github.com").replace(/\/+$/, "");
  if (!/^https?:\/\/[^\s]+$/.test(webUrl)) {
    throw new ConfigError(`--web-url / CREDAUTH_WEB_URL must be an http(s) URL, got ${JSON.stringify(webUrl)}.`);
  }

  const adminToken = flags.adminToken ?? env.CREDAUTH_ADMIN_TOKEN ?? null;
  if (adminToken !== null && !/^[\x21-\x7e]{32,256}$/.test(adminToken)) {
    throw new ConfigError(
      "--admin-token / CREDAUTH_ADMIN_TOKEN must be 32 to 256 printable characters without spaces; generate one with `openssl rand -hex 32`.",
    );
  }

  const config: Config = {
    database,
    http: { host, port },
    runWorker: flags.worker ?? true,
    seedFile: flags.seed ? resolve(cwd, flags.seed) : null,
    seedDemoWhenEmpty: flags.demo ?? false,
    logLevel,
    webUrl,
    adminToken,
    jobs: {
      batchSize: integerIn("CREDAUTH_JOB_BATCH_SIZE", env.CREDAUTH_JOB_BATCH_SIZE, JOB_DEFAULTS.batchSize, 1, 100_000, "Rows per transaction; 2000 is a good start."),
      heartbeatSeconds: integerIn("CREDAUTH_JOB_HEARTBEAT_SECONDS", env.CREDAUTH_JOB_HEARTBEAT_SECONDS, JOB_DEFAULTS.heartbeatSeconds, 10, 3600, "pg-boss requires at least 10."),
      superviseIntervalSeconds: integerIn("CREDAUTH_JOB_SUPERVISE_SECONDS", env.CREDAUTH_JOB_SUPERVISE_SECONDS, JOB_DEFAULTS.superviseIntervalSeconds, 1, 3600, ""),
      pollingIntervalSeconds: numberIn("CREDAUTH_JOB_POLL_SECONDS", env.CREDAUTH_JOB_POLL_SECONDS, JOB_DEFAULTS.pollingIntervalSeconds, 0.5, 60),
      retryLimit: integerIn("CREDAUTH_JOB_RETRY_LIMIT", env.CREDAUTH_JOB_RETRY_LIMIT, JOB_DEFAULTS.retryLimit, 0, 1000, ""),
      shardSize: integerIn("CREDAUTH_JOB_SHARD_SIZE", env.CREDAUTH_JOB_SHARD_SIZE, JOB_DEFAULTS.shardSize, 100, 100_000_000, "Ids per shard; 50000 is a good start."),
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
