// Each scenario's baselines measured again at the end of the run: a machine that slowed down or
// sped up between a scenario and the end shows here as drift, and a ratio measured far from its
// baseline carries that drift. A scenario hands over what it needs to measure again (a database
// copy, a file of answers) and how to let it go.

/** Drift beyond this, either way, is flagged: that scenario's ratios are less comparable than they look. */
export const DRIFT_LIMIT = 0.1;

/** A baseline a scenario measured, and how to measure it the same way again. */
export interface RepeatableBaseline {
  scenario: string;
  backend: string;
  /** What was measured, e.g. "same bytes /user at c=32". */
  baseline: string;
  unit: "req/s" | "ms";
  first: number;
  again(): Promise<number>;
  /** Frees what `again` needs; called once, whether or not `again` ran or succeeded. */
  release?(): Promise<void>;
}

export interface BaselineDrift {
  scenario: string;
  backend: string;
  baseline: string;
  unit: "req/s" | "ms";
  first: number;
  again: number;
  /** (again − first) / first. */
  drift: number;
  flagged: boolean;
}

/** Measures every baseline again, in the order they were first measured, releasing each. */
export async function measureAgain(
  baselines: RepeatableBaseline[],
  log: (line: string) => void,
): Promise<BaselineDrift[]> {
  const drifts: BaselineDrift[] = [];
  while (baselines.length > 0) {
    const baseline = baselines.shift()!;
    try {
      const again = await baseline.again();
      const drift = (again - baseline.first) / baseline.first;
      const flagged = Math.abs(drift) > DRIFT_LIMIT;
      const { scenario, backend, unit, first } = baseline;
      drifts.push({ scenario, backend, baseline: baseline.baseline, unit, first, again, drift, flagged });
      log(
        `  drift ${scenario} ${backend} ${baseline.baseline}: ${Math.round(first)} → ${Math.round(again)} ${unit} (${(drift * 100).toFixed(0)} %${flagged ? ", over 10 %: FLAGGED" : ""})`,
      );
    } finally {
      await baseline.release?.();
    }
  }
  return drifts;
}

/** Lets go of baselines a failed run did not measure again. */
export async function releaseAll(baselines: RepeatableBaseline[]): Promise<void> {
  while (baselines.length > 0) await baselines.shift()!.release?.();
}

/** A release shared by several baselines runs once, when the last of them lets go. */
export function sharedRelease(holders: number, release: () => Promise<void>): () => Promise<void> {
  let left = holders;
  return async () => {
    if (--left === 0) await release();
  };
}
