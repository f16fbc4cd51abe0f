// credauth as an operator runs it: one process per data folder, the pid you start is the server
// whatever Node starts it, signals end it cleanly, start-up failures are one line, and the
// documented environment variables work.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ENVIRONMENT } from "../../src/config.ts";
import { LOCK_FILE } from "../../src/store/data-folder.ts";
import { freePort, migratedDataFolder, runCredauth, startServer } from "../helpers/process.ts";

const BIN = join(import.meta.dirname, "..", "..", "bin", "credauth.js");
const dir = mkdtempSync(join(tmpdir(), "credauth-lifecycle-"));
/** The machine's PostgreSQL (the one TEST_DATABASE_URL names), to be refused a database and a role by. */
const POSTGRES_HOST = new URL(process.env.TEST_DATABASE_URL ?? "postgres://127.0.0.1:5432/").host;

function credauth(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    env: { ...process.env, CREDAUTH_LOG_LEVEL: "warn", ...env },
    encoding: "utf8",
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A Node older than 24 on the PATH without the project's node_modules (the system Node here). */
function olderSystemNode(): string | null {
  const path = (process.env.PATH ?? "").split(":").filter((p) => !p.includes("node_modules"));
  for (const folder of path) {
    const candidate = join(folder, "node");
    if (!existsSync(candidate)) continue;
    const version = spawnSync(candidate, ["--version"], { encoding: "utf8" }).stdout.trim();
    if (Number(/^v(\d+)/.exec(version)?.[1] ?? 99) < 24) return candidate;
  }
  return null;
}

async function refusesConnections(url: string): Promise<boolean> {
  return fetch(`${url}/healthz/live`).then(
    () => false,
    () => true,
  );
}

/** The URL a spawned credauth (behind a launcher or npm) says it listens on. */
function listeningUrl(child: ChildProcess): Promise<string> {
  let output = "";
  return new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (chunk) => {
      output += chunk;
      const match = /credauth listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.on("exit", () => reject(new Error(`exited before listening: ${output}`)));
  });
}

/** Waits (up to 15 s) until nothing listens on `url` and the data folder's lock is gone. */
async function untilGone(url: string, data: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while ((!(await refusesConnections(url)) || existsSync(join(data, LOCK_FILE))) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("credauth as a process", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses a second process on a data folder with one line naming the first; after a SIGKILL the next start takes over", async () => {
    const data = await migratedDataFolder(join(dir, "shared"));
    const first = await startServer(["--data", data]);
    try {
      for (const command of [
        ["serve", "--port", "0"],
        ["migrate"],
        ["seed", join(import.meta.dirname, "..", "..", "fixtures", "demo.yaml")],
      ]) {
        const second = credauth([...command, "--data", data]);
        assert.equal(second.code, 2, second.stderr);
        assert.equal(second.stderr.trim().split("\n").length, 1, second.stderr);
        assert.match(
          second.stderr,
          new RegExp(
            `in use by credauth serve \\(pid ${first.child.pid}, listening on ${first.url.replaceAll(".", "\\.")}\\)`,
          ),
        );
      }
    } finally {
      await first.kill();
    }
    assert.ok(existsSync(join(data, LOCK_FILE)), "SIGKILL leaves the lock behind");
    const next = await startServer(["--data", data]);
    assert.equal(JSON.parse(readFileSync(join(data, LOCK_FILE), "utf8")).pid, next.child.pid);
    assert.equal(await next.stop(), 0, "SIGTERM exits 0");
    assert.ok(!existsSync(join(data, LOCK_FILE)), "a clean exit releases the lock");
  });

  it("stops the server when the pid started by an older Node gets SIGTERM, or is killed outright", {
    skip: olderSystemNode() === null ? "no Node older than 24 on the PATH" : false,
  }, async () => {
    const node = olderSystemNode()!;
    for (const signal of ["SIGTERM", "SIGKILL"] as const) {
      const data = await migratedDataFolder(join(dir, `launcher-${signal}`));
      const launcher = spawn(node, [BIN, "serve", "--data", data, "--port", "0"], {
        env: { ...process.env, CREDAUTH_LOG_LEVEL: "warn" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const url = await listeningUrl(launcher);
      const exited = new Promise<number | null>((resolve) => launcher.on("exit", (code) => resolve(code)));
      launcher.kill(signal);
      const code = await exited;
      if (signal === "SIGTERM") assert.equal(code, 0, "the launcher exits with the server's status");
      // The server itself goes too, and releases the data folder.
      await untilGone(url, data);
      assert.ok(await refusesConnections(url), `after ${signal} to the launcher nothing listens on ${url}`);
      assert.ok(!existsSync(join(data, LOCK_FILE)), `after ${signal} to the launcher the data folder is free`);
    }
  });

  it("stops the server when `npm start` gets SIGTERM (npm's shell does not pass it on)", async () => {
    const data = await migratedDataFolder(join(dir, "npm-start"));
    const npm = spawn("npm", ["start", "--", "--data", data, "--port", "0"], {
      cwd: join(import.meta.dirname, "..", ".."),
      env: { ...process.env, CREDAUTH_LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const url = await listeningUrl(npm);
    npm.kill("SIGTERM");
    await untilGone(url, data);
    const orphan = existsSync(join(data, LOCK_FILE))
      ? (JSON.parse(readFileSync(join(data, LOCK_FILE), "utf8")) as { pid: number }).pid
      : null;
    if (orphan !== null) process.kill(orphan, "SIGKILL"); // a failure must not leave it running
    npm.stdout.destroy();
    npm.stderr.destroy();
    assert.ok(await refusesConnections(url), `after SIGTERM to npm nothing listens on ${url}`);
    assert.equal(orphan, null, "and the data folder is free");
  });

  it("listens where PORT and HOST say, and --help lists the environment variables", async () => {
    const port = await freePort();
    const server = runCredauth(["serve", "--data", await migratedDataFolder(join(dir, "env"))], {
      PORT: String(port),
      HOST: "127.0.0.1",
    });
    try {
      await server.waitFor(new RegExp(`credauth listening on http://127\\.0\\.0\\.1:${port}`));
    } finally {
      await server.stop();
    }
    const help = credauth(["serve", "--help"]).stdout;
    for (const variable of Object.values(ENVIRONMENT).filter((name) => name !== undefined)) {
      assert.match(help, new RegExp(`env:\\s+${variable}\\)`), `--help names ${variable}`);
    }
    assert.match(credauth(["--version"]).stdout, /^\d+\.\d+\.\d+\n$/);
  });

  it("says what is wrong at start-up in one line, never a stack trace", async () => {
    const busy = createServer();
    const port = await new Promise<number>((resolve) =>
      busy.listen(0, "127.0.0.1", () => resolve((busy.address() as { port: number }).port)),
    );
    try {
      const cases = [
        {
          args: ["serve", "--data", await migratedDataFolder(join(dir, "busy")), "--port", String(port)],
          message: /cannot listen: .*the port is in use/,
        },
        {
          args: ["serve", "--database-url", "postgres://postgres:secret@127.0.0.1:1/none"],
          message: /cannot reach the database/,
        },
        { args: ["serve", "--data", BIN], message: /is a file, not a folder/ },
        {
          args: ["serve", "--data", join(import.meta.dirname)],
          message: /is not empty and is not a credauth data folder/,
        },
        {
          args: ["serve", "--admin-token-file", join(dir, "missing")],
          message: /--admin-token-file .* cannot be read \(ENOENT\)/,
        },
        { args: ["serve", "--prot", "3000"], message: /unknown option '--prot' \(Did you mean --port\?\)/ },
        {
          args: ["serve", "--rate-limit", "sometimes"],
          message: /--rate-limit \/ CREDAUTH_RATE_LIMIT must be github .* or off/,
        },
        // At debug level too: the SMTP URL's password is in no line.
        {
          args: ["serve", "--data", ":memory:"],
          env: { CREDAUTH_SMTP_URL: "smtp://user:secret@[bad", CREDAUTH_LOG_LEVEL: "debug" },
          message: /--smtp-url \/ CREDAUTH_SMTP_URL must be/,
        },
        {
          args: ["serve", "--database-url", `postgres://postgres:secret@${POSTGRES_HOST}/credauth_no_such_database`],
          message: /PostgreSQL refused the connection: database "credauth_no_such_database" does not exist/,
        },
        {
          args: ["serve", "--database-url", `postgres://credauth_no_such_role:secret@${POSTGRES_HOST}/postgres`],
          message: /PostgreSQL refused the connection: .*credauth_no_such_role/,
        },
      ];
      for (const { args, message, env } of cases as {
        args: string[];
        message: RegExp;
        env?: Record<string, string>;
      }[]) {
        const result = credauth(args, env);
        assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
        assert.match(result.stderr, message);
        assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
        assert.doesNotMatch(result.stderr, /\n\s+at |secret/);
      }
    } finally {
      busy.close();
    }
  });
});
