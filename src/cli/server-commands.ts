// The server side of the command line: `serve`, `worker`, `migrate`, `seed` and `reset`. Loaded only
// when one of them runs, so the responder's commands start without the server's modules.
import { closeSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import closeWithGrace from "close-with-grace";
import type { FastifyInstance } from "fastify";
import type { pino } from "pino";
import { type Config, ConfigError, type ConfigFlags, parseConfig, redactUrl } from "../config.ts";
import { FixtureError, type ParsedFixture, parseFixture } from "../domain/fixture.ts";
import { hashToken } from "../domain/tokens.ts";
import { buildApp } from "../http/app.ts";
import { buildMetricsApp } from "../http/metrics/routes.ts";
import { transportsFor } from "../jobs/notification-delivery.ts";
import { type Jobs, startJobs } from "../jobs/queue.ts";
import { createLogger } from "../logging.ts";
import { createMetrics, observeRevocations } from "../metrics.ts";
import { openSecretBox } from "../secrets.ts";
import { claimDataFolder, DataFolderError, type DataFolderLock, LOCK_FILE } from "../store/data-folder.ts";
import { DatabaseUnavailableError, type Db } from "../store/db.ts";
import { checkedFixture } from "../store/fixture-names.ts";
import { DatabaseTooNewError, migrate } from "../store/migrate.ts";
import { openDatabase } from "../store/open.ts";
import { describeTokens } from "../store/principals.ts";
import { applyFixture, isEmptyWorld, type LoadedApp, type SeedReport } from "../store/seed.ts";
import { recordStartState } from "../store/snapshots.ts";
import { DEMO_FIXTURE, demoApps, demoBanner, demoTokens } from "./demo.ts";
import { loadProgress, type ProgressLog } from "./load-progress.ts";
import { ensureSelfSignedCertificate } from "./tls.ts";

/** How long a stopping process waits for in-flight requests and the batch under way before it gives up. */
const SHUTDOWN_GRACE_MS = 15_000;

/** Commander has merged the environment into the flags already; parseConfig validates them. */
function configFrom(flags: ConfigFlags): Readonly<Config> {
  // Readable lines for a person at a terminal, JSON lines for whatever collects them otherwise.
  const logFormat = flags.logFormat ?? (process.stdout.isTTY ? "pretty" : undefined);
  return parseConfig({ ...flags, ...(logFormat ? { logFormat } : {}) }, process.env);
}

/** The embedded data folder is claimed for this process for as long as it runs (null: PostgreSQL or in memory). */
function claimFor(config: Readonly<Config>, command: string): DataFolderLock | null {
  return config.database.kind === "pglite" && config.database.dataDir !== null
    ? claimDataFolder(config.database.dataDir, command)
    : null;
}

/**
 * Where a load's generated tokens go: a new file (mode 0600, never an existing one) rather than the
 * terminal, where thousands of secrets would scroll past and stay in the scrollback; `-` prints
 * them for a script. The file is created before the load, so a path that cannot be written fails
 * before the database changes — a token lost after its hash is stored cannot be recovered.
 */
function tokensDestination(tokensFile: string | null): {
  report(report: SeedReport, source: string): void;
  discard(): void;
} {
  // real time: a file's name and header say when it was written, on the reader's calendar.
  const file =
    tokensFile === "-"
      ? null
      : (tokensFile ?? resolve(`credauth-tokens-${new Date().toISOString().replace(/[:.]/g, "-")}.tsv`));
  let descriptor: number | null = null;
  if (file) {
    try {
      descriptor = openSync(file, "wx", 0o600);
    } catch (error) {
      throw new ConfigError(
        `--tokens-file ${file} cannot be created (${(error as NodeJS.ErrnoException).code ?? String(error)}); name a new file.`,
      );
    }
  }
  const discard = () => {
    if (descriptor === null || !file) return;
    closeSync(descriptor);
    rmSync(file, { force: true });
    descriptor = null;
  };
  return {
    discard,
    report(report, source) {
      const c = report.created;
      console.log(
        `Loaded ${source}: ${c.enterprises} enterprises, ${c.organizations} organizations, ${c.users} users, ` +
          `${c.credentials} credentials, ${c.authorizations} SSO authorizations added.`,
      );
      const generated = report.credentials.filter((c) => c.token !== undefined);
      const apps = report.apps.filter((app) => app.clientSecret !== undefined || app.privateKey !== undefined);
      if (generated.length === 0 && apps.length === 0) return discard();
      // An App's private key spans lines: it goes to a PEM file of its own beside the tokens file
      // (mode 0600), named in the file's row; printed after the rows when the tokens go to stdout.
      const keyFiles = apps.flatMap((app) =>
        app.privateKey === undefined
          ? []
          : [{ app, path: file ? `${file.replace(/\.tsv$/, "")}.${app.slug}.pem` : null }],
      );
      const appNote = (app: LoadedApp) => `GitHub App ${app.slug} (id ${app.id}, client id ${app.clientId})`;
      // real time: as the file's name
      const text = [
        `# Tokens credauth generated loading ${source}, ${new Date().toISOString()}. credauth keeps only their hashes.`,
        "login\ttype\tnote\ttoken",
        ...generated.map((t) => `${t.login}\t${t.type}\t${t.note ?? ""}\t${t.token}`),
        ...apps.flatMap((app) =>
          app.clientSecret === undefined
            ? []
            : [`${app.slug}[bot]\tgithub_app_client_secret\t${appNote(app)}\t${app.clientSecret}`],
        ),
        ...keyFiles.flatMap(({ app, path }) =>
          path === null ? [] : [`${app.slug}[bot]\tgithub_app_private_key\t${appNote(app)}\t${path}`],
        ),
        "",
      ].join("\n");
      if (descriptor === null) {
        process.stdout.write(text);
        for (const { app } of keyFiles) process.stdout.write(`# ${appNote(app)}: private key\n${app.privateKey}`);
        return;
      }
      for (const { app, path } of keyFiles) writeFileSync(path!, app.privateKey!, { mode: 0o600, flag: "wx" });
      writeSync(descriptor, text);
      closeSync(descriptor);
      descriptor = null;
      console.log(
        `${generated.length + apps.length} generated tokens written to ${file} (readable by you only; shown nowhere else).`,
      );
    },
  };
}

/** Loads a fixture file, showing its progress, its generated tokens sent where `tokensFile` says. */
async function loadFixture(db: Db, parsed: ParsedFixture, config: Readonly<Config>, log: ProgressLog): Promise<void> {
  const destination = tokensDestination(config.tokensFile);
  const progress = loadProgress(parsed.source, log);
  try {
    const report = await applyFixture(db, parsed, {
      onProgress: (p) => progress.update(p),
      secrets: openSecretBox(config.secretsKey),
      reportGeneratedOnly: true,
    });
    progress.stop();
    destination.report(report, parsed.source);
  } catch (error) {
    progress.stop();
    destination.discard();
    throw error;
  }
}

async function seedFile(db: Db, file: string, config: Readonly<Config>): Promise<SeedReport> {
  const text = readFileSync(file, "utf8");
  return applyFixture(db, parseFixture(text, file), { secrets: openSecretBox(config.secretsKey) });
}

/**
 * SIGTERM/SIGINT (and a fatal error): stop accepting, let in-flight work finish, then exit 0 —
 * or 1 if that takes longer than SHUTDOWN_GRACE_MS. A second signal exits at once.
 */
function onShutdown(logger: pino.Logger, stop: () => Promise<void>): void {
  // close-with-grace swaps its listeners on the first signal; for that instant a signal has no
  // listener, and Node's default action (exit, skipping every cleanup) takes a second one that
  // arrives then — as when a launcher and the shell both pass on one SIGTERM. A standing listener
  // keeps Node's handler installed throughout; the graceful stop is already under way.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => {});
  closeWithGrace({ delay: SHUTDOWN_GRACE_MS, logger: false }, async ({ signal, err }) => {
    if (err) logger.fatal({ err }, "unexpected error; shutting down");
    else logger.info({ signal }, "shutting down");
    await stop();
  });
}

function describeDatabase(config: Readonly<Config>): string {
  if (config.database.kind === "postgres") return `PostgreSQL at ${redactUrl(config.database.url)}`;
  return config.database.dataDir ? `embedded PGlite in ${config.database.dataDir}` : "in-memory PGlite";
}

export async function serve(flags: ConfigFlags): Promise<void> {
  const config = configFrom(flags);
  if (config.tls?.selfSigned) {
    const made = await ensureSelfSignedCertificate(config.tls, config.http.host);
    const file = config.tls.certFile;
    console.log(
      `TLS: ${made ? "made a" : "using the"} self-signed certificate ${file}; trust it with ` +
        `SSL_CERT_FILE=${file} (gh), CURL_CA_BUNDLE=${file} (curl), REQUESTS_CA_BUNDLE=${file} (Python requests) ` +
        `or NODE_EXTRA_CA_CERTS=${file} (Node).`,
    );
  }
  const lock = claimFor(config, "serve");
  const app = await buildApp(config);
  const db = app.services.db;
  const seedPath = config.seedFile;
  if (seedPath)
    await loadFixture(
      db,
      await checkedFixture(db, () => parseFixture(readFileSync(seedPath, "utf8"), seedPath, { compact: true })),
      config,
      app.log,
    );
  let demoLoaded = false;
  if (config.seedDemoWhenEmpty && (await isEmptyWorld(db))) {
    await seedFile(db, DEMO_FIXTURE, config);
    demoLoaded = true;
  }
  // The state a harness reset returns to (POST /_credauth/admin/reset): the world this start loaded.
  if (config.adminToken !== null && (seedPath || demoLoaded)) await recordStartState(db);
  const metricsApp = config.metrics ? buildMetricsApp(app.services.metrics) : null;
  onShutdown(app.log as pino.Logger, async () => {
    await metricsApp?.close();
    await app.close();
    lock?.release();
  });
  const address = await app.listen({ port: config.http.port, host: config.http.host }).catch(async (error: unknown) => {
    await app.close();
    throw error;
  });
  lock?.announce(address);
  console.log(
    `credauth listening on ${address} (${describeDatabase(config)}${config.runWorker ? ", worker running" : ""})`,
  );
  if (metricsApp) await listenForMetrics(metricsApp, config, () => app.close());
  if (config.seedDemoWhenEmpty) {
    const tokens = demoTokens();
    const standings = await describeTokens(
      db,
      tokens.map((token) => hashToken(token.token)),
    );
    console.log(
      demoBanner(address, {
        justLoaded: demoLoaded,
        certFile: config.tls?.selfSigned ? config.tls.certFile : null,
        tokens,
        standings,
        apps: demoApps(),
      }),
    );
  }
}

/** Listens on --metrics-port; a failure to (port in use) stops what already runs, then fails the start. */
async function listenForMetrics(
  metricsApp: FastifyInstance,
  config: Readonly<Config>,
  stopOthers: () => Promise<void>,
): Promise<void> {
  const { host, port } = config.metrics!;
  const address = await metricsApp.listen({ host, port }).catch(async (error: unknown) => {
    await stopOthers();
    throw error;
  });
  console.log(`metrics at ${address}/metrics`);
}

export async function worker(flags: ConfigFlags): Promise<void> {
  const config = configFrom(flags);
  if (config.database.kind !== "postgres") {
    throw new ConfigError(
      "`credauth worker` needs a shared PostgreSQL database (--database-url or DATABASE_URL). With the embedded database, the worker runs inside `credauth serve`.",
    );
  }
  const logger = createLogger(config, { name: "credauth-worker" });
  const db = await openDatabase(config.database, logger);
  const metrics = createMetrics(db);
  const metricsApp = config.metrics ? buildMetricsApp(metrics) : null;
  let jobs: Jobs | null = null;
  const stop = async () => {
    await metricsApp?.close();
    await jobs?.stop(SHUTDOWN_GRACE_MS - 2000);
    await db.close();
  };
  try {
    await migrate(db);
    jobs = await startJobs(db, config.database, config.jobs, logger, {
      work: true,
      observer: observeRevocations(metrics),
      notifications: {
        transports: transportsFor(config.mail, config),
        secrets: openSecretBox(config.secretsKey),
        publicUrl: config.publicUrl,
      },
    });
    onShutdown(logger, stop);
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
  console.log(`credauth worker processing revocation jobs (${describeDatabase(config)})`);
  if (metricsApp) await listenForMetrics(metricsApp, config, stop);
}

/** Migrates the database and creates the job queues (pg-boss's schema), starting no worker; the migrations applied. */
async function prepareDatabase(db: Db, config: Readonly<Config>): Promise<number[]> {
  const applied = await migrate(db);
  const jobs = await startJobs(db, config.database, config.jobs, { info() {}, warn() {}, error() {} }, { work: false });
  await jobs.stop();
  return applied;
}

export async function migrateCommand(flags: ConfigFlags): Promise<void> {
  const config = configFrom(flags);
  const lock = claimFor(config, "migrate");
  const db = await openDatabase(config.database);
  try {
    const applied = await prepareDatabase(db, config);
    console.log(applied.length > 0 ? `Applied migrations ${applied.join(", ")}.` : "The database is up to date.");
  } finally {
    await db.close();
    lock?.release();
  }
}

/** Files from this size on are loaded with a heap sized to them (below). */
const SIZED_HEAP_FROM_BYTES = 8 * 2 ** 20;

/**
 * A large load allocates fast, and V8 grows its heap rather than collect: a 53 MB world peaked at
 * 685 MB resident with a live set under 300 MB. So `seed` of a large file on PostgreSQL runs again
 * in place (execve: the same pid) with V8's old space capped at what the file needs — its text, its
 * parse, a batch of rows and the credentials seen — and V8 collects instead (docs/performance.md).
 * Embedded, PGlite's own memory is most of it and lives outside the heap: no cap.
 */
function sizeHeapFor(file: string, config: Readonly<Config>): void {
  if (config.database.kind !== "postgres" || process.env.CREDAUTH_SEED_HEAP_SIZED !== undefined) return;
  // Someone who sized the heap themselves keeps their size.
  if (/--max-old-space-size/.test([...process.execArgv, process.env.NODE_OPTIONS ?? ""].join(" "))) return;
  const bytes = statSync(file, { throwIfNoEntry: false })?.size ?? 0;
  if (bytes < SIZED_HEAP_FROM_BYTES || typeof process.execve !== "function") return;
  const heapMb = Number(process.env.CREDAUTH_SEED_HEAP_MB) || Math.ceil(160 + (4 * bytes) / 2 ** 20);
  process.execve(
    process.execPath,
    [process.execPath, `--max-old-space-size=${heapMb}`, ...process.execArgv, ...process.argv.slice(1)],
    { ...process.env, CREDAUTH_SEED_HEAP_SIZED: String(heapMb) },
  );
}

export async function seedCommand(file: string, flags: ConfigFlags): Promise<void> {
  const config = configFrom(flags);
  sizeHeapFor(file, config);
  const lock = claimFor(config, "seed");
  const logger = createLogger(config, { name: "credauth-seed" });
  if (process.env.CREDAUTH_SEED_HEAP_SIZED)
    logger.debug({ heapMb: Number(process.env.CREDAUTH_SEED_HEAP_SIZED) }, "heap sized to the fixture");
  const db = await openDatabase(config.database, logger);
  try {
    await migrate(db);
    // Every problem of the file at once, the names it takes from the database included, before
    // anything is written; a large world is not held whole in memory.
    const parsed = await checkedFixture(db, () => parseFixture(readFileSync(file, "utf8"), file, { compact: true }));
    await loadFixture(db, parsed, config, "plain");
  } finally {
    await db.close();
    lock?.release();
  }
}

/**
 * `credauth reset`: the embedded data folder emptied and loaded afresh, with the demo world or a
 * fixture. Claiming the folder first is what refuses it while a server holds it.
 */
export async function resetCommand(flags: ConfigFlags & { fixture?: string }): Promise<void> {
  const config = configFrom(flags);
  if (config.database.kind !== "pglite" || config.database.dataDir === null)
    throw new ConfigError(
      "`credauth reset` starts an embedded data folder afresh (--data DIR); a PostgreSQL database is reset by dropping and creating it.",
    );
  const dir = config.database.dataDir;
  const fixture = flags.fixture ? resolve(flags.fixture) : DEMO_FIXTURE;
  // Checked whole before the folder is emptied: against an empty database, which it is about to be.
  const parsed = await checkedFixture(null, () =>
    parseFixture(readFileSync(fixture, "utf8"), fixture, { compact: true }),
  );
  const lock = claimFor(config, "reset")!;
  try {
    for (const entry of readdirSync(dir))
      if (entry !== LOCK_FILE) rmSync(join(dir, entry), { recursive: true, force: true });
    const db = await openDatabase(config.database);
    try {
      await prepareDatabase(db, config);
      if (flags.fixture) await loadFixture(db, parsed, config, "plain");
      else await applyFixture(db, parsed, { secrets: openSecretBox(config.secretsKey) });
    } finally {
      await db.close();
    }
  } finally {
    lock.release();
  }
  console.log(`Reset ${dir}: ${flags.fixture ? `loaded ${fixture}` : "the demo world, as on the first `npm start`"}.`);
}

/** A server command's start-up failure as one line for a person; null when it is not one of these. */
export function describeServerFailure(error: unknown): string | null {
  if (error instanceof FixtureError || error instanceof DatabaseTooNewError || error instanceof DataFolderError)
    return error.message;
  if (error instanceof DatabaseUnavailableError) {
    const cause = error.cause instanceof Error ? error.cause.message : String(error.cause);
    return `cannot reach the database (${cause}). Is PostgreSQL running and the URL right?`;
  }
  // PostgreSQL refused the connection itself: no such database or role, a wrong password, no access
  // (SQLSTATE classes 3D, 28 and 08). Its message names no secret.
  const sqlState = (error as { code?: unknown } | null)?.code;
  if (typeof sqlState === "string" && /^(?:3D|28|08)[0-9A-Z]{3}$/.test(sqlState))
    return `PostgreSQL refused the connection: ${(error as Error).message}. Check --database-url / CREDAUTH_DATABASE_URL.`;
  return null;
}
