import type { PgBoss } from "pg-boss";
import type { Config } from "../config.ts";
import type { Clock } from "../domain/clock.ts";
import type { Metrics } from "../metrics.ts";
import type { SecretBox } from "../secrets.ts";
import type { CachedReads } from "../store/cached-reads.ts";
import type { Db } from "../store/db.ts";
import type { ExactBodies } from "./exact-bodies.ts";
import type { HarnessState } from "./harness/state.ts";
import type { RateLimits } from "./rate-limits.ts";

/** What route plugins need, handed to each explicitly. */
export interface Services {
  config: Readonly<Config>;
  db: Db;
  /** Authentication and organization-scoped reads, through the exact cache where there is one. */
  reads: CachedReads;
  /** Rendered answers of GitHub's read routes, kept until the next write (http/exact-bodies.ts). */
  bodies: ExactBodies;
  boss: PgBoss;
  rateLimits: RateLimits;
  metrics: Metrics;
  /** Encrypts the webhook secrets the admin API is given (null: none configured). */
  secrets: SecretBox | null;
  /** The one clock every rule reads time from (domain/clock.ts). */
  clock: Clock;
  /** The harness's fault rules and request journal (used only with an admin token). */
  harness: HarnessState;
}
