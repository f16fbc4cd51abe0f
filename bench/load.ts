// The load generator, run as its own process so that it does not share a CPU budget decision with
// the server's event loop: autocannon against one credauth endpoint, JSON result on stdout.
import autocannon from "autocannon";

interface LoadSpec {
  url: string;
  method: "GET" | "POST";
  /** Path; `{user}` is replaced by a rotating bench user number from userRange. */
  path: string;
  token: string;
  /** Per-user classic tokens, same order as userRange, when each request authenticates as its user. */
  body?: string;
  userRange?: [number, number];
  connections: number;
  durationSeconds: number;
  /** Requests per second over all connections; absent: as fast as it goes. */
  overallRate?: number;
}

const spec = JSON.parse(process.argv[2]!) as LoadSpec;
let next = spec.userRange?.[0] ?? 0;

const result = await autocannon({
  url: spec.url,
  connections: spec.connections,
  duration: spec.durationSeconds,
  ...(spec.overallRate ? { overallRate: spec.overallRate } : {}),
  requests: [
    {
      method: spec.method,
      headers: { authorization: `Bearer ${spec.token}`, "content-type": "application/json", accept: "application/vnd.github+json" },
      ...(spec.body ? { body: spec.body } : {}),
      setupRequest: (request: autocannon.Request) => {
        let path = spec.path;
        if (spec.userRange) {
          path = path.replace("{user}", String(next));
          next = next >= spec.userRange[1] ? spec.userRange[0] : next + 1;
        }
        return { ...request, path };
      },
    },
  ],
});
process.stdout.write(
  JSON.stringify({
    requests: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    durationSeconds: result.duration,
  }) + "\n",
);
