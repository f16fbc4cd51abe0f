// One process owns an embedded data folder: a second claim is refused with the owner named, a
// lock left by a dead process is taken over, and of several processes racing for a stale lock
// exactly one wins.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { claimDataFolder, DataFolderError, LOCK_FILE } from "../../src/store/data-folder.ts";
import { openPglite } from "../../src/store/pglite.ts";

const root = mkdtempSync(join(tmpdir(), "credauth-data-folder-"));
let n = 0;
const newDir = () => join(root, `d${++n}`);

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "console.log(process.pid)"], { encoding: "utf8" });
  return Number(child.stdout.trim());
}

function writeLock(dir: string, holder: object): void {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o700);
  writeFileSync(join(dir, "PG_VERSION"), "17\n");
  writeFileSync(
    join(dir, LOCK_FILE),
    JSON.stringify({ host: hostname(), command: "serve", url: null, processStart: null, ...holder }),
  );
}

describe("the embedded data folder's owner", () => {
  after(() => rmSync(root, { recursive: true, force: true }));

  it("refuses a second claim, naming the owner and where it listens, until the owner releases it", () => {
    const dir = newDir();
    const lock = claimDataFolder(dir, "serve");
    lock.announce("http://127.0.0.1:3999");
    assert.throws(
      () => claimDataFolder(dir, "migrate"),
      (error: Error) =>
        error instanceof DataFolderError &&
        error.message.includes(`credauth serve (pid ${process.pid}, listening on http://127.0.0.1:3999)`),
    );
    lock.release();
    claimDataFolder(dir, "seed").release();
  });

  it("takes over a lock whose process is gone, or whose pid now belongs to a later process", () => {
    const gone = newDir();
    writeLock(gone, { pid: deadPid() });
    claimDataFolder(gone, "serve").release();

    const reused = newDir();
    writeLock(reused, { pid: process.pid, processStart: "1" }); // our pid, but not our start time
    const lock = claimDataFolder(reused, "serve");
    assert.equal(JSON.parse(readFileSync(join(reused, LOCK_FILE), "utf8")).pid, process.pid);
    lock.release();
  });

  it("refuses a file, and a non-empty folder that is not a data folder", () => {
    const file = join(root, "a-file");
    writeFileSync(file, "x");
    assert.throws(() => claimDataFolder(file, "serve"), /is a file, not a folder/);
    const unrelated = newDir();
    mkdirSync(unrelated);
    writeFileSync(join(unrelated, "notes.txt"), "mine");
    assert.throws(() => claimDataFolder(unrelated, "serve"), /is not empty and is not a credauth data folder/);
  });

  it("lets exactly one of eight processes racing for a stale lock win it", async () => {
    const dir = newDir();
    writeLock(dir, { pid: deadPid() });
    // Every process waits for the same instant, so their claims overlap.
    const startAt = Date.now() + 1500;
    const script = `
      import { claimDataFolder } from ${JSON.stringify(join(import.meta.dirname, "..", "..", "src", "store", "data-folder.ts"))};
      while (Date.now() < ${startAt}) {}
      try { claimDataFolder(${JSON.stringify(dir)}, "serve"); console.log("won"); setTimeout(() => {}, 1500); }
      catch (error) { console.log(error.name); }`;
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

describe("a data folder's permissions", () => {
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

  it("makes an empty folder someone created for it (mode 755) its own", () => {
    const dir = newDir();
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    claimDataFolder(dir, "serve").release();
    assert.equal(statSync(dir).mode & 0o777, 0o700);
  });

  it("refuses a data folder other users may enter, with the fix", () => {
    const dir = newDir();
    writeLock(dir, { pid: deadPid() });
    chmodSync(dir, 0o755);
    assert.throws(
      () => claimDataFolder(dir, "serve"),
      (error: Error) =>
        error instanceof DataFolderError &&
        /open to other users \(mode 755\)/.test(error.message) &&
        error.message.includes(`chmod 700 ${dir}`),
    );
  });
});
