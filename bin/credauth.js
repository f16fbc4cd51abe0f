#!/usr/bin/env node
// credauth's command line. The project brings its own Node 24 (the `node` devDependency); when
// this file is started by an older Node (a shell whose PATH has the system Node 20), it re-runs
// itself with the project's Node rather than failing on TypeScript it cannot strip.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as nodeModule from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const major = Number(process.versions.node.split(".")[0]);
if (major < 24) {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const projectNode = join(root, "node_modules", "node", "bin", "node");
  if (!existsSync(projectNode)) {
    console.error(`credauth needs Node.js 24 or newer (this is ${process.version}). Run \`npm install\` in ${root} first.`);
    process.exit(1);
  }
  const result = spawnSync(projectNode, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(result.status ?? 1);
}

// Node keeps the code it compiled on disk and reuses it on the next start: a third less start-up
// time (docs/performance.md). The cache is disposable; a read-only node_modules just means no cache.
// (A namespace import: Node 20, which only re-runs this file, has no enableCompileCache.)
nodeModule.enableCompileCache(join(dirname(fileURLToPath(import.meta.url)), "..", "node_modules", ".cache", "node-compile-cache"));

const { main } = await import("../src/cli/main.ts");
await main(process.argv);
