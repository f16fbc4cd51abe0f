// Reads while revocations arrive: GET /user and the org's credential list at concurrency 32 on the
// demo world, alone and then while one-user revocations are paced at a fixed rate from another
// process (issue 24: reads keep ≥ 80 % of their read-only throughput at 50 revocations a second).
import type { RunningProcess } from "../test/helpers/process.ts";
import type { RepeatableBaseline } from "./drift.ts";

/** The demo world's owner of acme and acme-eng (fixtures/demo.yaml). */
const OWNER = "ghp_credauthDemoOliviaAcmeOwner000000000";
/** Demo users the paced revocations take in turn (each revoked again and again). */
const TARGETS = ["dora_acme", "alice_acme", "bob_acme", "gus_acme"];

export interface MixedResult {
  backend: string;
  route: string;
  concurrency: number;
  revocationsPerSecond: number;
  aloneRps: number;
  mixedRps: number;
  /** mixedRps / aloneRps. */
  kept: number;
  /** The paced revocations' own p99, and how many were not 202. */
  revocationP99: number;
  revocationFailures: number;
}

interface LoadResult {
  rps: number;
  p99: number;
  non2xx: number;
  errors: number;
}

export interface MixedScenario {
  backend: string;
  seconds: number;
  rate: number;
  startServer(flags: string[], env: Record<string, string>): Promise<RunningProcess & { url: string }>;
  load(spec: Record<string, unknown>): Promise<LoadResult>;
  log(line: string): void;
  /** Where the reads alone go, to be measured again (on a new server) at the end of the run. */
  baselines: RepeatableBaseline[];
}

export async function mixedLoad(scenario: MixedScenario): Promise<MixedResult[]> {
  const server = await scenario.startServer(["--demo"], {});
  const results: MixedResult[] = [];
  try {
    const read = (path: string, seconds: number) =>
      scenario.load({ url: server.url, method: "GET", path, token: OWNER, connections: 32, durationSeconds: seconds });
    for (const [route, path] of [
      ["GET /user", "/user"],
      ["org credential authorizations", "/orgs/acme-eng/credential-authorizations"],
    ] as const) {
      await read(path, 1); // warm-up, unrecorded
      const alone = await read(path, scenario.seconds);
      scenario.baselines.push({
        scenario: "mixed",
        backend: scenario.backend,
        baseline: `${route} alone at c=32`,
        unit: "req/s",
        first: alone.rps,
        async again() {
          const fresh = await scenario.startServer(["--demo"], {});
          try {
            const readFresh = (seconds: number) =>
              scenario.load({
                url: fresh.url,
                method: "GET",
                path,
                token: OWNER,
                connections: 32,
                durationSeconds: seconds,
              });
            await readFresh(1);
            return (await readFresh(scenario.seconds)).rps;
          } finally {
            await fresh.stop();
          }
        },
      });
      // The revocations run a second longer on each side, so the reads see them throughout.
      const revoking = scenario.load({
        url: server.url,
        method: "POST",
        mix: TARGETS.map((login) => ({
          method: "POST",
          path: `/enterprises/acme/credential-authorizations/${login}/revoke`,
          body: "{}",
        })),
        path: "",
        token: OWNER,
        connections: 16,
        durationSeconds: scenario.seconds + 2,
        overallRate: scenario.rate,
      });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const mixed = await read(path, scenario.seconds);
      const revocations = await revoking;
      results.push({
        backend: scenario.backend,
        route,
        concurrency: 32,
        revocationsPerSecond: scenario.rate,
        aloneRps: alone.rps,
        mixedRps: mixed.rps,
        kept: mixed.rps / alone.rps,
        revocationP99: revocations.p99,
        revocationFailures: revocations.non2xx + revocations.errors,
      });
      scenario.log(
        `  mixed ${scenario.backend} ${route}: ${Math.round(alone.rps)} req/s alone, ${Math.round(mixed.rps)} under ${scenario.rate} revocations/s (${Math.round((100 * mixed.rps) / alone.rps)} %)`,
      );
      if (alone.non2xx + alone.errors + mixed.non2xx + mixed.errors > 0) throw new Error(`reads of ${path} failed`);
    }
  } finally {
    await server.stop();
  }
  return results;
}
