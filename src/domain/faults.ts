// Faults a test harness injects: which requests a rule matches (method, a path glob where `*` is one
// segment), what it does (GitHub's answer for a status or a rate limit, a delay, or both), how many
// times and how often. Rules are checked whole when added: one that could never match or never do
// anything is refused with the field at fault.

export const FAULT_STATUSES = [500, 502, 503, 504, "secondary_rate_limit", "primary_rate_limit"] as const;
export type FaultStatus = (typeof FAULT_STATUSES)[number];

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const;
const MAX_DELAY_MS = 30_000;
/** A path glob: segments of URL-path characters or `*`, each after a slash. */
const PATH_GLOB = /^(\/([A-Za-z0-9._~%@:+!$&'(),;=-]+|\*))+\/?$|^\/$/;

export interface FaultRule {
  id: number;
  method: (typeof METHODS)[number] | null;
  path: string | null;
  status: FaultStatus | null;
  delayMs: number;
  /** How many more requests it answers; null: every one. */
  timesLeft: number | null;
  probability: number;
}

export type FaultRuleInput = Omit<FaultRule, "id">;

/** The rule a request body describes, or the problem with it (which field, and why). */
export function parseFaultRule(body: Record<string, unknown>): FaultRuleInput | { field: string; problem: string } {
  const known = new Set(["method", "path", "status", "delay_ms", "times", "probability"]);
  for (const field of Object.keys(body))
    if (!known.has(field)) return { field, problem: `is not a field of a fault rule (${[...known].join(", ")})` };
  const { method, path, status, delay_ms: delay, times, probability } = body;
  if (method !== undefined && !(typeof method === "string" && (METHODS as readonly string[]).includes(method)))
    return { field: "method", problem: `${JSON.stringify(method)} is not one of ${METHODS.join(", ")}` };
  if (path !== undefined && !(typeof path === "string" && PATH_GLOB.test(path)))
    return {
      field: "path",
      problem: `${JSON.stringify(path)} is not a path glob: segments after "/", "*" for any one segment, no query`,
    };
  if (status !== undefined && !(FAULT_STATUSES as readonly unknown[]).includes(status))
    return { field: "status", problem: `${JSON.stringify(status)} is not one of ${FAULT_STATUSES.join(", ")}` };
  if (delay !== undefined && !(Number.isInteger(delay) && (delay as number) >= 0 && (delay as number) <= MAX_DELAY_MS))
    return { field: "delay_ms", problem: `${JSON.stringify(delay)} is not a whole number from 0 to ${MAX_DELAY_MS}` };
  if (times !== undefined && !(Number.isInteger(times) && (times as number) >= 1))
    return { field: "times", problem: `${JSON.stringify(times)} is not a whole number of at least 1` };
  if (probability !== undefined && !(typeof probability === "number" && probability > 0 && probability <= 1))
    return { field: "probability", problem: `${JSON.stringify(probability)} is not a number above 0, at most 1` };
  if (status === undefined && (delay === undefined || delay === 0))
    return { field: "status", problem: "a rule needs a status or a delay_ms above 0, or it changes nothing" };
  return {
    method: (method as FaultRule["method"]) ?? null,
    path: (path as string | undefined) ?? null,
    status: (status as FaultStatus | undefined) ?? null,
    delayMs: (delay as number | undefined) ?? 0,
    timesLeft: (times as number | undefined) ?? null,
    probability: (probability as number | undefined) ?? 1,
  };
}

/** Whether a path (without base and query) is one the glob names: `*` is exactly one segment. */
export function pathMatches(glob: string, path: string): boolean {
  const trim = (p: string) => (p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p);
  const want = trim(glob).split("/");
  const have = trim(path).split("/");
  return want.length === have.length && want.every((segment, i) => segment === "*" || segment === have[i]);
}

export function ruleMatches(rule: FaultRule, method: string, path: string): boolean {
  if (rule.method !== null && rule.method !== method) return false;
  return rule.path === null || pathMatches(rule.path, path);
}
