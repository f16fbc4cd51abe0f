// A PostgreSQL cluster of a test's own (initdb + pg_ctl from the installed PostgreSQL, its own
// folder and port), so a fault test can stop, kill and restart it without touching the shared
// server other tests use. PostgreSQL refuses to run as root; as root the cluster runs as `postgres`.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./process.ts";

const BIN_DIR = process.env.CREDAUTH_PG_BIN ?? "/usr/lib/postgresql/15/bin";

export interface PrivatePostgres {
  url: string;
  port: number;
  /** Fast shutdown: open connections are terminated, as in a restart for maintenance. */
  stop(): void;
  /** SIGKILL of the postmaster: a crash. The next start runs crash recovery. */
  kill(): void;
  start(): void;
  /** Stops the cluster (if running) and deletes its folder. */
  destroy(): void;
}

/** Runs a PostgreSQL server binary, as `postgres` when we are root. */
function runAsOwner(binary: string, args: string[]): void {
  const path = join(BIN_DIR, binary);
  const asRoot = process.getuid?.() === 0;
  const result = asRoot
    ? spawnSync("runuser", ["-u", "postgres", "--", path, ...args], { encoding: "utf8" })
    : spawnSync(path, args, { encoding: "utf8" });
  if (result.status !== 0)
    throw new Error(`${binary} ${args.join(" ")} failed (${result.status}): ${result.stdout}${result.stderr}`);
}

export function privatePostgresAvailable(): string | null {
  if (!existsSync(join(BIN_DIR, "initdb"))) return `no PostgreSQL server binaries in ${BIN_DIR} (set CREDAUTH_PG_BIN)`;
  return null;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const root = mkdtempSync(join(tmpdir(), "credauth-pg-"));
  const dataDir = join(root, "data");
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(root, uid, gid);
  }
  chmodSync(root, 0o700);
  runAsOwner("initdb", ["-D", dataDir, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  const port = await freePort();
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60`;
  const start = () => {
    // After a kill the old server's processes take a moment to go, and until they have, a new
    // postmaster refuses the folder ("lock file already exists"): try again for a while.
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        return runAsOwner("pg_ctl", ["-D", dataDir, "-o", options, "-l", join(root, "log"), "-w", "-t", "60", "start"]);
      } catch (error) {
        if (Date.now() > deadline) throw error;
        spawnSync("sleep", ["0.2"]);
      }
    }
  };
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop: () => runAsOwner("pg_ctl", ["-D", dataDir, "-m", "fast", "-w", "stop"]),
    kill() {
      const pid = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
      process.kill(pid, "SIGKILL");
    },
    start,
    destroy() {
      try {
        runAsOwner("pg_ctl", ["-D", dataDir, "-m", "immediate", "-w", "stop"]);
      } catch {
        // already stopped
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}
