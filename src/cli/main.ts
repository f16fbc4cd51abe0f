// `credauth serve | worker | migrate | seed FILE`. The only place that listens on a port, reads
// process.env (through parseConfig) or exits the process.
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { pino } from "pino";
import { ConfigError, parseConfig, type Config, type ConfigFlags } from "../config.ts";
import { FixtureError, parseFixture } from "../domain/fixture.ts";
import { buildApp } from "../http/app.ts";
import { startQueue } from "../jobs/queue.ts";
import { createRevocationQueue, startRevocationWorker } from "../jobs/revocation-job.ts";
import type { Db } from "../store/db.ts";
import { DatabaseTooNewError, migrate } from "../store/migrate.ts";
import { openDatabase } from "../store/open.ts";
import { applyFixture, isEmptyWorld, type SeedReport } from "../store/seed.ts";
import { printDemoBanner, DEMO_FIXTURE } from "./demo.ts";

const databaseOptions = (command: Command) =>
  command
    .addOption(new Option("--data <dir>", "embedded PGlite data folder (default .credauth/data)"))
    .addOption(new Option("--database-url <url>", "PostgreSQL connection URL (or DATABASE_URL)"))
    .addOption(new Option("--log-level <level>", "fatal, error, warn, info, debug, trace or silent"));

function configFrom(flags: ConfigFlags): Readonly<Config> {
  return parseConfig(flags, process.env);
}

function printSeedReport(report: SeedReport, source: string): void {
  const c = report.created;
  console.log(
    `Loaded ${source}: ${c.enterprises} enterprises, ${c.organizations} organizations, ${c.users} users, ` +
      `${c.credentials} credentials, ${c.authorizations} SSO authorizations added.`,
  );
  const generated = report.credentials.filter((c) => c.token !== undefined);
  if (generated.length > 0) {
    console.log("Generated tokens (shown once; credauth keeps only their hashes):");
    for (const t of generated) console.log(`  ${t.login}  ${t.type}${t.note ? ` (${t.note})` : ""}  ${t.token}`);
  }
}

async function seedFile(db: Db, file: string): Promise<SeedReport> {
  const text = readFileSync(file, "utf8");
  return applyFixture(db, parseFixture(text, file));
}

function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

export function buildCli(): Command {
  const program = new Command("credauth")
    .description("GitHub Enterprise Cloud's credential-authorization API, self-hosted and stateful")
    .showHelpAfterError();

  databaseOptions(
    program
      .command("serve")
      .description("run the HTTP API (and, unless --no-worker, the background worker)")
      .option("--port <port>", "port to listen on", "3000")
      .option("--host <host>", "address to listen on", "127.0.0.1")
      .option("--seed <file>", "load this fixture file at start-up")
      .option("--no-worker", "do not process revocation jobs in this process")
      .option("--demo", "load the bundled demo world when the database is empty")
      .option("--web-url <url>", "base URL for web links such as the SSO authorization URL")
      .option("--admin-token <token>", "enable the provisioning API under /_credauth/admin with this site-admin token (or CREDAUTH_ADMIN_TOKEN)"),
  ).action(async (flags: ConfigFlags) => {
    const config = configFrom(flags);
    const app = await buildApp(config);
    const db = app.services.db;
    if (config.seedFile) printSeedReport(await seedFile(db, config.seedFile), config.seedFile);
    let demoLoaded = false;
    if (config.seedDemoWhenEmpty) {
      if (await isEmptyWorld(db)) {
        await seedFile(db, DEMO_FIXTURE);
        demoLoaded = true;
      }
    }
    onShutdown(() => app.close());
    const address = await app.listen({ port: config.http.port, host: config.http.host });
    console.log(`credauth listening on ${address} (${describeDatabase(config)}${config.runWorker ? ", worker running" : ""})`);
    if (config.seedDemoWhenEmpty) printDemoBanner(address, demoLoaded);
  });

  databaseOptions(program.command("worker").description("process revocation jobs (PostgreSQL only)")).action(async (flags: ConfigFlags) => {
    const config = configFrom(flags);
    if (config.database.kind !== "postgres") {
      throw new ConfigError(
        "`credauth worker` needs a shared PostgreSQL database (--database-url or DATABASE_URL). With the embedded database, the worker runs inside `credauth serve`.",
      );
    }
    const db = await openDatabase(config.database);
    await migrate(db);
    const logger = pino({ level: config.logLevel, name: "credauth-worker" });
    const boss = await startQueue(db, config.database.url, config.jobs, logger);
    await createRevocationQueue(boss, config.jobs);
    await startRevocationWorker(boss, db, config.jobs, logger);
    console.log("credauth worker processing revocation jobs");
    onShutdown(async () => {
      await boss.stop({ graceful: true, timeout: 10_000 });
      await db.close();
    });
  });

  databaseOptions(program.command("migrate").description("bring the database schema up to date and exit")).action(async (flags: ConfigFlags) => {
    const config = configFrom(flags);
    const db = await openDatabase(config.database);
    try {
      const applied = await migrate(db);
      const boss = await startQueue(db, config.database.kind === "postgres" ? config.database.url : null, config.jobs, { warn: () => {}, error: () => {} });
      await createRevocationQueue(boss, config.jobs);
      await boss.stop({ graceful: false });
      console.log(applied.length > 0 ? `Applied migrations ${applied.join(", ")}.` : "The database is up to date.");
    } finally {
      await db.close();
    }
  });

  databaseOptions(program.command("seed").description("load a fixture file (YAML or JSON) into the database").argument("<file>")).action(
    async (file: string, flags: ConfigFlags) => {
      const config = configFrom(flags);
      const text = readFileSync(file, "utf8");
      const parsed = parseFixture(text, file); // refuse a bad file before touching the database
      const db = await openDatabase(config.database);
      try {
        await migrate(db);
        printSeedReport(await applyFixture(db, parsed), file);
      } finally {
        await db.close();
      }
    },
  );
  return program;
}

function describeDatabase(config: Readonly<Config>): string {
  if (config.database.kind === "postgres") return "PostgreSQL";
  return config.database.dataDir ? `embedded PGlite in ${config.database.dataDir}` : "in-memory PGlite";
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof FixtureError || error instanceof DatabaseTooNewError) {
      console.error(`credauth: ${error.message}`);
      process.exit(2);
    }
    if (error instanceof Error && "code" in error && error.code === "ENOENT") {
      console.error(`credauth: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
}
