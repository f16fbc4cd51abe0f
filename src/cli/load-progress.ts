// How a fixture load shows its progress: a bar on a terminal, where a person watches it; a log line
// every tenth of the way otherwise, where a log collector would keep a bar's redraws as garbage.
import { SingleBar } from "cli-progress";
import type { SeedProgress } from "../store/seed.ts";

export interface LoadProgress {
  update(progress: SeedProgress): void;
  /** The load ended (or failed): the bar, if any, is put away. */
  stop(): void;
}

export function loadProgress(
  source: string,
  log: { info(details: object, message: string): void },
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
      log.info({ fixture: source, usersDone, users, percent: tenth * 10 }, "loading fixture");
    },
    stop() {},
  };
}
