// How a fixture load shows its progress: a bar on a terminal, where a person watches it; otherwise
// a line every tenth of the way (a bar's redraws would be garbage in a file): a log line from a
// server, which logs, and a plain sentence on stderr from a command (`seed`, `reset`), which does not.
import { SingleBar } from "cli-progress";
import type { SeedProgress } from "../store/seed.ts";

export interface LoadProgress {
  update(progress: SeedProgress): void;
  /** The load ended (or failed): the bar, if any, is put away. */
  stop(): void;
}

/** A server's logger, or "plain" for a command's own output. */
export type ProgressLog = { info(details: object, message: string): void } | "plain";

export function loadProgress(
  source: string,
  log: ProgressLog,
  terminal: boolean = process.stderr.isTTY === true,
): LoadProgress {
  if (terminal) {
    const bar = new SingleBar({
      format: `Loading ${source} {bar} {value}/{total} users | {duration}s`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    });
    let started = false;
    return {
      update({ usersDone, users }) {
        if (!started) bar.start(Math.max(users, 1), 0);
        started = true;
        bar.update(usersDone);
      },
      stop: () => bar.stop(),
    };
  }
  let lastTenth = -1;
  return {
    update({ usersDone, users }) {
      const tenth = users === 0 ? 10 : Math.floor((usersDone * 10) / users);
      if (tenth === lastTenth) return;
      lastTenth = tenth;
      if (log === "plain")
        process.stderr.write(`Loading ${source}: ${tenth * 10} % (${usersDone} of ${users} users)\n`);
      else log.info({ fixture: source, usersDone, users, percent: tenth * 10 }, "loading fixture");
    },
    stop() {},
  };
}
