// One process owns an embedded data folder: a second claim is refused with the owner named, and a
// lock left by a dead process is taken over. (Racing processes and PGlite's own files:
// test/slow/data-folder-disk.test.ts.)
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { claimDataFolder, DataFolderError, LOCK_FILE } from "../../src/store/data-folder.ts";
import { deadPid, writeLock } from "../helpers/data-folders.ts";

const root = mkdtempSync(join(tmpdir(), "credauth-data-folder-"));
let n = 0;
const newDir = () => join(root, `d${++n}`);

after(() => rmSync(root, { recursive: true, force: true }));

describe("the embedded data folder's owner", () => {
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
});

describe("a data folder's permissions", () => {
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
