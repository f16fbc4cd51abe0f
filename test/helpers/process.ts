// Runs credauth as a real process, the way a user does, and finds the port it listens on.
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, cpSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { templateDataFolder } from "./template.ts";

const BIN = join(import.meta.dirname, "..", "..", "bin", "credauth.js");

export interface RunningProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first stdout line matching the pattern. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resident set size now (VmRSS), in MB. */
  rssMb(): number;
  /** Peak resident set size so far (VmHWM), in MB. */
  peakRssMb(): number;
  stop(): Promise<number | null>;
  kill(): Promise<void>;
}

/** Runs credauth (or, with `script`, another Node script of the project) as a child process. */
export function runCredauth(args: string[], env: Record<string, string> = {}, script = BIN): RunningProcess {
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, CREDAUTH_LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    output += chunk.toString("utf8");
    for (const listener of listeners) listener();
  };
  child.stdout!.on("data", append);
  child.stderr!.on("data", append);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const memoryMb = (field: "VmRSS" | "VmHWM") => {
    const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
    return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
  };
  return {
    child,
    output: () => output,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output);
          if (match) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${pattern}; output so far:\n${output}`));
        }, timeoutMs);
        listeners.add(check);
        exited.then(() => {
          if (listeners.has(check)) {
            listeners.delete(check);
            clearTimeout(timer);
            reject(new Error(`exited before printing ${pattern}; output:\n${output}`));
          }
        });
        check();
      });
    },
    rssMb: () => memoryMb("VmRSS"),
    peakRssMb: () => memoryMb("VmHWM"),
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
    async kill() {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** A port nothing listens on at this moment. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export async function startServer(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<RunningProcess & { url: string }> {
  const server = runCredauth(["serve", "--port", "0", ...args], env);
  const [, url] = await server.waitFor(/credauth listening on (https?:\/\/\S+)/, timeoutMs);
  return Object.assign(server, { url: url! });
}

/**
 * A new embedded data folder at `path` that is already migrated, pg-boss's schema included: a copy
 * of the run's template (helpers/template.ts), so a server on it starts in about a second instead
 * of spending several on initdb and migrations.
 */
export async function migratedDataFolder(path: string): Promise<string> {
  cpSync(await templateDataFolder(), path, { recursive: true });
  chmodSync(path, 0o700); // as credauth makes its own: it refuses a folder other users may enter
  return path;
}
