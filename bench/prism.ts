// The peer a user would otherwise pick: Prism, the stateless OpenAPI mock, serving the vendored
// contract. Installed on demand into the cache (not a project dependency), pinned to one version.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../test/helpers/process.ts";

export const PRISM_VERSION = "5.16.0";
const ROOT = join(import.meta.dirname, "..");
const PRISM_DIR = join(ROOT, "node_modules", ".cache", "credauth", `prism-${PRISM_VERSION}`);
const PRISM_BIN = join(PRISM_DIR, "node_modules", "@stoplight", "prism-cli", "dist", "index.js");

/** Installs Prism into the cache once; later runs find it there. */
export function installPrism(log: (line: string) => void): string {
  if (existsSync(PRISM_BIN)) return PRISM_BIN;
  log(`  installing @stoplight/prism-cli@${PRISM_VERSION} into ${PRISM_DIR}`);
  mkdirSync(PRISM_DIR, { recursive: true });
  // Prism 5.16 declares Node >= 24.18; it runs on the project's Node 24 all the same (engines only warn).
  execFileSync(
    "npm",
    [
      "install",
      "--prefix",
      PRISM_DIR,
      "--no-save",
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
      `@stoplight/prism-cli@${PRISM_VERSION}`,
    ],
    { stdio: "ignore" },
  );
  if (!existsSync(PRISM_BIN)) throw new Error(`npm did not install Prism ${PRISM_VERSION}`);
  return PRISM_BIN;
}

/** Prism mocking the vendored contract, on the project's Node; resolves once it answers. */
export async function startPrism(log: (line: string) => void): Promise<{ url: string; stop(): Promise<void> }> {
  const bin = installPrism(log);
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [bin, "mock", "--host", "127.0.0.1", "--port", String(port), join(ROOT, "contract", "ghec-subset.json")],
    { stdio: "ignore" },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Prism exited with ${child.exitCode}`);
    try {
      await fetch(`${url}/rate_limit`);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error("Prism did not start within two minutes");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}
