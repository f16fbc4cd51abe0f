#!/usr/bin/env node
// credauth's command line. In a checkout it runs the TypeScript sources (Node 24 strips the types);
// in the published package, the JavaScript built from them (dist/), on Node 22 or later. A checkout
// brings its own Node 24 (the `node` devDependency); when this file is started there by an older
// Node (a shell whose PATH has the system Node 20), it hands over to the project's Node so that
// the pid the user started is the server:
// - with process.execve (Node 22.15 and later) the process becomes the project's Node in place;
// - otherwise (Node 20) it runs it as a child and stands in for it: every signal it receives is
//   passed on, it exits with the child's status, and if it is killed outright the child sees its
//   IPC channel close and shuts down gracefully, so no server is ever left behind.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import * as nodeModule from "node:module";
import { constants } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const checkout = existsSync(join(root, "src", "cli", "main.ts"));
const major = Number(process.versions.node.split(".")[0]);
// The package's JavaScript runs on Node 22 and later; a checkout's TypeScript on Node 24.
if (!checkout && major < 22) {
  console.error(`credauth needs Node.js 22 or newer (this is ${process.version}).`);
  process.exit(1);
}
if (checkout && major < 24) {
  const projectNode = join(root, "node_modules", "node", "bin", "node");
  if (!existsSync(projectNode)) {
    console.error(
      `credauth needs Node.js 24 or newer (this is ${process.version}). Run \`npm install\` in ${root} first.`,
    );
    process.exit(1);
  }
  const args = [fileURLToPath(import.meta.url), ...process.argv.slice(2)];
  if (typeof process.execve === "function") process.execve(projectNode, [projectNode, ...args], process.env);
  const child = spawn(projectNode, args, {
    stdio: ["inherit", "inherit", "inherit", "ipc"],
    env: { ...process.env, CREDAUTH_LAUNCHER_PID: String(process.pid) },
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR2"]) {
    process.on(signal, () => child.kill(signal));
  }
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 128 + (constants.signals[signal] ?? 1) : 1)));
} else {
  // The launcher's IPC channel closing means the launcher is gone (killed outright): stop too.
  if (process.env.CREDAUTH_LAUNCHER_PID && process.connected) {
    process.on("disconnect", () => process.kill(process.pid, "SIGTERM"));
    process.channel?.unref();
  }
  // Started by npm (`npm start`, `npx credauth`), the pid the user holds is npm's: npm passes a
  // SIGTERM to the shell it ran us in, and dash dies without passing it on. When our parent is
  // gone, the user has stopped what they started: stop too.
  if (process.env.npm_lifecycle_event) {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) process.kill(process.pid, "SIGTERM");
    }, 500).unref();
  }
  // Node keeps the code it compiled on disk and reuses it on the next start: a third less start-up
  // time (docs/performance.md). The cache is disposable; a read-only folder just means no cache.
  // An installed package leaves it in Node's default place rather than write into node_modules.
  nodeModule.enableCompileCache(checkout ? join(root, "node_modules", ".cache", "node-compile-cache") : undefined);
  const { main } = checkout ? await import("../src/cli/main.ts") : await import("../dist/cli/main.js");
  await main(process.argv);
}
