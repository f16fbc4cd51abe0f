// The load generator, run as its own process so that it does not share a CPU budget decision with
// the server's event loop: autocannon against one credauth endpoint, JSON result on stdout.
import http from "node:http";
import autocannon from "autocannon";

interface MixedRequest {
  method: "GET" | "POST";
  /** Path; `{user}` is replaced by a rotating bench user number from userRange. */
  path: string;
  body?: string;
}

interface LoadSpec {
  url: string;
  method: "GET" | "POST";
  /** Path; `{user}` is replaced by a rotating bench user number from userRange. */
  path: string;
  /** Paced load only: requests taken in turn instead of method/path/body (the soak's mixed load). */
  mix?: MixedRequest[];
  /** Paced load only: also report the p99 of each window of this many seconds. */
  windowSeconds?: number;
  token: string;
  /** Per-user classic tokens, same order as userRange, when each request authenticates as its user. */
  body?: string;
  userRange?: [number, number];
  connections: number;
  durationSeconds: number;
  /** Requests per second, evenly spaced (open loop); absent: `connections` closed loops as fast as they go. */
  overallRate?: number;
  /** The Accept header (default GitHub's media type; Prism answers 406 to it and is sent application/json). */
  accept?: string;
}

const spec = JSON.parse(process.argv[2]!) as LoadSpec;
let next = spec.userRange?.[0] ?? 0;

function nextPath(template = spec.path): string {
  if (!spec.userRange) return template;
  const path = template.replace("{user}", String(next));
  next = next >= spec.userRange[1] ? spec.userRange[0] : next + 1;
  return path;
}

let turn = 0;
/** The next request: the spec's one, or the next of its mix. */
function nextRequest(): { method: string; path: string; body: string | undefined } {
  if (!spec.mix) return { method: spec.method, path: nextPath(), body: spec.body };
  const request = spec.mix[turn++ % spec.mix.length]!;
  return { method: request.method, path: nextPath(request.path), body: request.body };
}

const headers = {
  authorization: `Bearer ${spec.token}`,
  // GitHub (and credauth) refuse requests without one; every real client sends it.
  "user-agent": "credauth-bench",
  "content-type": "application/json",
  accept: spec.accept ?? "application/vnd.github+json",
};

/**
 * Requests at a fixed rate, evenly spaced (open loop), each timed from the moment it was due, so a
 * slow answer delays no later request and hides no queueing (no coordinated omission). autocannon's
 * own rate limit is not used for this: it lets every connection send at full speed until its quota
 * for the second is spent, then pauses, so its latencies at "half the rate" are full-load latencies.
 * The first second warms connections and JIT up and is not recorded. node:http with a keep-alive
 * agent rather than fetch: fetch allocates several times more per request, and the generator's own
 * garbage collection would show up as the server's latency.
 */
async function paced(rate: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.connections });
  const target = new URL(spec.url);
  const send = ({ method, path, body }: { method: string; path: string; body: string | undefined }) =>
    new Promise<number>((resolve, reject) => {
      const request = http.request(
        { agent, host: target.hostname, port: target.port, method, path, headers },
        (response) => {
          response.resume();
          response.on("end", () => resolve(response.statusCode ?? 0));
          response.on("error", reject);
        },
      );
      request.on("error", reject);
      request.end(body);
    });
  const latencies: number[] = [];
  /** Latencies by window (of windowSeconds, counted from the end of the warm-up). */
  const windows: number[][] = [];
  const statuses: Record<string, number> = {};
  let non2xx = 0;
  let errors = 0;
  const warmUp = Math.round(rate);
  const total = warmUp + Math.round(rate * spec.durationSeconds);
  const inFlight: Promise<void>[] = [];
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const recorded = i >= warmUp;
    const window = spec.windowSeconds ? Math.floor((i - warmUp) / rate / spec.windowSeconds) : 0;
    inFlight.push(
      send(nextRequest()).then(
        (status) => {
          if (!recorded) return;
          const latency = performance.now() - due;
          latencies.push(latency);
          const bucket = windows[window] ?? [];
          windows[window] = bucket;
          bucket.push(latency);
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status < 200 || status > 299) non2xx++;
        },
        () => void (recorded && errors++),
      ),
    );
  }
  await Promise.all(inFlight);
  agent.destroy();
  const elapsed = (performance.now() - started) / 1000 - 1;
  const percentileOf = (values: number[], p: number) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
  };
  return {
    requests: latencies.length + errors,
    rps: (latencies.length + errors) / elapsed,
    p50: percentileOf(latencies, 50),
    p99: percentileOf(latencies, 99),
    non2xx,
    errors,
    durationSeconds: elapsed,
    p99ByWindow: windows.map((w) => percentileOf(w, 99)),
    statuses,
  };
}

async function closedLoop() {
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationSeconds,
    requests: [
      {
        method: spec.method,
        headers,
        ...(spec.body ? { body: spec.body } : {}),
        setupRequest: (request: autocannon.Request) => ({ ...request, path: nextPath() }),
      },
    ],
  });
  return {
    requests: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    durationSeconds: result.duration,
  };
}

const result = spec.overallRate ? await paced(spec.overallRate) : await closedLoop();
process.stdout.write(`${JSON.stringify(result)}\n`);
