// One process owns an embedded data folder. PGlite has no interlock of its own: two processes on
// one folder each keep their own copy of the database in memory and overwrite each other's files,
// and a revocation made through one is lost. The owner writes `credauth.lock` (pid, process start
// time, command, and once listening its URL); a second opener is refused with one line naming it.
// A lock left by a process that died (even by SIGKILL) is stale: its pid is gone, or now belongs
// to a process that started later. Stale locks are taken over under a short takeover mutex (a
// directory, which only one process can create), so two starters cannot both take one over.
import {
  chmodSync,
  closeSync,
  type Dirent,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

export const LOCK_FILE = "credauth.lock";
/** The file every PostgreSQL (and PGlite) data folder has: how a credauth data folder is recognised. */
const DATA_FOLDER_MARK = "PG_VERSION";
/** Fixed size: the owner rewrites it in place (one write), so a reader never sees half of it. */
const LOCK_RECORD_BYTES = 1024;
/** A takeover mutex older than this was left by a process that died inside the takeover (microseconds long). */
const ABANDONED_TAKEOVER_MS = 10_000;

export class DataFolderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DataFolderError";
  }
}

export interface LockHolder {
  pid: number;
  /** The process's start time (Linux: clock ticks since boot), to tell a reused pid from the owner. */
  processStart: string | null;
  host: string;
  command: string;
  url: string | null;
}

export interface DataFolderLock {
  /** Records where the owner listens, for the message a second opener gets. */
  announce(url: string): void;
  release(): void;
}

/** Linux: the fields of /proc/PID/stat after the command name (state first), or null where there is none. */
function statFieldsOf(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** The process's start time (field 22: clock ticks since boot). */
function processStartOf(pid: number): string | null {
  return statFieldsOf(pid)?.[19] ?? null;
}

function isAlive(holder: LockHolder): boolean {
  // Another host (a shared filesystem): we cannot see its processes, so it counts as alive.
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  const fields = statFieldsOf(holder.pid);
  if (fields === null) return true; // no /proc: the pid answering is all we can know
  // A killed process is a zombie (Z) until its parent reaps it, or dying (X); a reused pid started later.
  if (fields[0] === "Z" || fields[0] === "X") return false;
  return holder.processStart === null || fields[19] === holder.processStart;
}

function readHolder(lockPath: string): LockHolder | null {
  try {
    return JSON.parse(readFileSync(lockPath, "utf8")) as LockHolder;
  } catch {
    return null;
  }
}

export function describeHolder(holder: LockHolder): string {
  const where = holder.url ? `, listening on ${holder.url}` : "";
  const host = holder.host === hostname() ? "" : ` on ${holder.host}`;
  return `credauth ${holder.command} (pid ${holder.pid}${host}${where})`;
}

/**
 * Every file below `dir` readable by its owner only, every folder enterable by its owner only.
 * PGlite (Emscripten's file system) creates its files 0666 whatever the umask, so the embedded
 * backend calls this when it opens and closes a data folder, and hourly between.
 */
export function restrictToOwner(dir: string): void {
  // Walked by hand, not with readdir's `recursive`: a would-be owner's own lock record and its
  // takeover folder come and go while we look, and a folder gone between listing and reading it
  // must not fail the walk.
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  for (const entry of entries) {
    if (entry.isSymbolicLink()) continue;
    const path = join(dir, entry.name);
    try {
      const mode = statSync(path).mode & 0o777;
      if ((mode & 0o077) !== 0) chmodSync(path, mode & (entry.isDirectory() ? 0o700 : 0o600));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    if (entry.isDirectory()) restrictToOwner(path);
  }
}

/**
 * Refuses a path that is a file, a non-empty folder that is not a credauth data folder, or a
 * folder other users may enter: it holds emails, token hashes and webhook URLs, and the database
 * itself, which anyone who can write it can change.
 */
function checkFolder(dir: string): void {
  if (!existsSync(dir)) return;
  const stat = statSync(dir);
  if (!stat.isDirectory())
    throw new DataFolderError(
      `--data ${dir} is a file, not a folder. Point --data at a folder (it is created if missing).`,
    );
  const entries = readdirSync(dir).filter((name) => !name.startsWith(LOCK_FILE));
  if (entries.length > 0 && !entries.includes(DATA_FOLDER_MARK)) {
    throw new DataFolderError(
      `--data ${dir} is not empty and is not a credauth data folder (no ${DATA_FOLDER_MARK}); refusing to write a database into it. ` +
        `Point --data at an empty or new folder.`,
    );
  }
  // An empty folder holds nothing yet: it is made ours below. One holding a database is not.
  if (entries.length > 0 && (stat.mode & 0o077) !== 0)
    throw new DataFolderError(
      `--data ${dir} is open to other users (mode ${(stat.mode & 0o777).toString(8)}); it holds the database. ` +
        `Make it yours alone: chmod 700 ${dir}`,
    );
}

/**
 * Claims `dir` for this process, or throws DataFolderError naming the process that owns it.
 * The lock is released by `release()`, and at exit by any means but SIGKILL, after which it is stale.
 */
export function claimDataFolder(dir: string, command: string): DataFolderLock {
  checkFolder(dir);
  // Whatever the umask: the folder (and any parent made here) 0700, and every file this process
  // creates from now on 0600 (PGlite writes with the process's umask).
  process.umask(0o077);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, statSync(dir).mode & 0o700);
  const lockPath = join(dir, LOCK_FILE);
  const record: LockHolder = {
    pid: process.pid,
    processStart: processStartOf(process.pid),
    host: hostname(),
    command,
    url: null,
  };
  // Our record is written to a file of our own first, then linked into place: link() fails if a
  // lock exists, so the lock file is always either absent or a complete record.
  const ownPath = `${lockPath}.${process.pid}`;
  const fd = openSync(ownPath, "w", 0o600);
  const write = () => {
    const text = JSON.stringify(record);
    writeSync(fd, Buffer.from(text.padEnd(LOCK_RECORD_BYTES, " ")), 0, LOCK_RECORD_BYTES, 0);
  };
  try {
    write();
    link(ownPath, lockPath);
  } catch (error) {
    closeSync(fd);
    throw error;
  } finally {
    unlinkSync(ownPath); // once linked, the lock file is the only name of our record
  }
  // Ours now: files an older credauth left readable by others are tightened.
  restrictToOwner(dir);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener("exit", release);
    // Only our own record is removed: a lock someone else took over after we were thought dead stays.
    const holder = readHolder(lockPath);
    if (holder?.pid === process.pid && holder.processStart === record.processStart) {
      try {
        unlinkSync(lockPath);
      } catch {
        // already gone
      }
    }
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  };
  process.on("exit", release);
  return {
    announce(url) {
      record.url = url;
      write();
    },
    release,
  };
}

/** link(own, lock), taking over a stale lock; throws DataFolderError while a live process holds it. */
function link(ownPath: string, lockPath: string): void {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      linkSync(ownPath, lockPath);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = readHolder(lockPath);
    if (holder !== null && isAlive(holder)) {
      throw new DataFolderError(
        `the data folder ${join(lockPath, "..")} is in use by ${describeHolder(holder)}. Stop it first, or use another --data folder.`,
      );
    }
    takeOver(lockPath, holder);
  }
  throw new DataFolderError(
    `could not claim the data folder ${join(lockPath, "..")}: other processes keep taking it. Try again.`,
  );
}

/** Removes the stale lock `seen`, unless another process replaced it first. */
function takeOver(lockPath: string, seen: LockHolder | null): void {
  const mutex = `${lockPath}.takeover`;
  try {
    mkdirSync(mutex);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    // The mutex may be gone again by now (its holder finished): then there is nothing to clear.
    const mutexStat = statSync(mutex, { throwIfNoEntry: false });
    // real time: compared with the file system's own mtime.
    if (mutexStat !== undefined && Date.now() - mutexStat.mtimeMs > ABANDONED_TAKEOVER_MS)
      rmSync(mutex, { force: true, recursive: true });
    return; // someone else is taking over; look again
  }
  try {
    const now = readHolder(lockPath);
    const unchanged =
      now === null ? seen === null : seen !== null && now.pid === seen.pid && now.processStart === seen.processStart;
    if (unchanged && (now === null || !isAlive(now))) unlinkSync(lockPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  } finally {
    rmSync(mutex, { force: true, recursive: true }); // gone already if another took it for abandoned
  }
}
