// The embedded data folder on disk, with real processes and PGlite's real files: of eight
// processes racing for a stale lock exactly one wins, and PGlite's files are the owner's alone
// whatever the umask.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { claimDataFolder } from "../../src/store/data-folder.ts";
import { openPglite } from "../../src/store/pglite.ts";
import { deadPid, writeLock } from "../helpers/data-folders.ts";

const root = mkdtempSync(join(tmpdir(), "credauth-data-folder-"));
let n = 0;
const newDir = () => join(root, `d${++n}`);
after(() => rmSync(root, { recursive: true, force: true }));

describe("the embedded data folder's owner, raced for", () => {
  it("lets exactly one of eight processes racing for a stale lock win it", async () => {
    const dir = newDir();
    writeLock(dir, { pid: deadPid() });
    // Every process waits for the same instant, so their claims overlap.
    const startAt = Date.now() + 1500;
    const script = `
      import { claimDataFolder } from ${JSON.stringify(join(import.meta.dirname, "..", "..", "src", "store", "data-folder.ts"))};
      while (Date.now() < ${startAt}) {}
      try { claimDataFolder(${JSON.stringify(dir)}, "serve"); console.log("won"); setTimeout(() => {}, 1500); }
      catch (error) { console.log(error.name === "DataFolderError" ? error.name : error.stack); }`;
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () => {
        const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
          stdio: ["ignore", "pipe", "inherit"],
        });
        let out = "";
        child.stdout.on("data", (chunk) => (out += chunk));
        return new Promise<string>((resolve) => child.on("exit", () => resolve(out.trim())));
      }),
    );
    assert.deepEqual(outcomes.filter((o) => o === "won").length, 1, outcomes.join(", "));
    assert.deepEqual(
      outcomes.filter((o) => o !== "won"),
      Array(7).fill("DataFolderError"),
    );
  });
});

describe("a data folder's permissions, with PGlite's files", () => {
  it("makes the folder 0700 and every file 0600 whatever the umask, while PGlite runs and after", async () => {
    const dir = newDir();
    const umask = process.umask(0);
    const openToOthers = () =>
      readdirSync(dir, { recursive: true })
        .map((name) => [String(name), statSync(join(dir, String(name))).mode & 0o777] as const)
        .filter(([, mode]) => (mode & 0o077) !== 0);
    try {
      const lock = claimDataFolder(dir, "serve");
      const db = await openPglite(dir);
      assert.deepEqual(openToOthers(), [], "once open, no file or folder other users can read or enter");
      await db.query("create table t (x int)");
      await db.close();
      assert.deepEqual(openToOthers(), [], "after close, the files made meanwhile too");
      lock.release();
      writeFileSync(join(dir, "left-open"), "x", { mode: 0o666 });
      chmodSync(join(dir, "left-open"), 0o666);
      claimDataFolder(dir, "serve").release();
      assert.deepEqual(openToOthers(), [], "a file left open is tightened when the folder is claimed");
    } finally {
      process.umask(umask);
    }
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.ok(readdirSync(dir, { recursive: true }).length > 100, "PGlite wrote its files");
  });
});
