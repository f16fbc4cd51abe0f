// Data folders in the states the lock tests need.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { LOCK_FILE } from "../../src/store/data-folder.ts";

/** The pid of a process that has exited (and been reaped). */
export function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "console.log(process.pid)"], { encoding: "utf8" });
  return Number(child.stdout.trim());
}

export function writeLock(dir: string, holder: object): void {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o700);
  writeFileSync(join(dir, "PG_VERSION"), "17\n");
  writeFileSync(
    join(dir, LOCK_FILE),
    JSON.stringify({ host: hostname(), command: "serve", url: null, processStart: null, ...holder }),
  );
}
