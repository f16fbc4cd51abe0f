// Every GitHub read route on the world users start from (`serve --demo`), under concurrent load,
// beside two others in the same run: a plain node:http server answering the very same bytes and
// headers (bench/same-bytes-server.ts: the most any server could do), and Prism, the stateless
// OpenAPI mock a user would otherwise pick, serving the vendored contract (bench/prism.ts).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateToken } from "../src/domain/tokens.ts";
import type { RunningProcess } from "../test/helpers/process.ts";
import type { RepeatableBaseline } from "./drift.ts";
import { startPrism } from "./prism.ts";

/** The demo world's owner of acme and acme-eng (fixtures/demo.yaml). */
const OWNER = "ghp_credauthDemoOliviaAcmeOwner000000000";

/** `serve --demo` with nothing to do, a few seconds after its start: what it holds. */
export interface IdleMemory {
  backend: string;
  rssMb: number;
}

export interface RouteResult {
  backend: string;
  route: string;
  /** The path asked, query included. */
  path: string;
  concurrency: number;
  rps: number;
  p99: number;
  bytes: number;
  sameBytesRps: number;
  ratio: number;
  /** null: the route is credauth's own (/_credauth), which Prism cannot mock. */
  prismRps: number | null;
  prismRatio: number | null;
  errors: number;
}

interface LoadResult {
  rps: number;
  p99: number;
  non2xx: number;
  errors: number;
}

export interface RouteScenario {
  backend: string;
  concurrencies: number[];
  seconds: number;
  rounds: number;
  /** Load each server a second before measuring (not in smoke runs). */
  warmUp: boolean;
  /** Only every fourth GitHub route and credauth's own (smoke runs: the shape, not the figures). */
  fewRoutes: boolean;
  /** Starts `credauth serve` with these extra flags and environment on a database of its own. */
  startServer(flags: string[], env: Record<string, string>): Promise<RunningProcess & { url: string }>;
  /** Runs a project script as a child process (the same-bytes server). */
  runScript(script: string, args: string[]): RunningProcess;
  load(spec: Record<string, unknown>): Promise<LoadResult>;
  scratch: string;
  log(line: string): void;
}

interface Route {
  name: string;
  path: string;
  token: string;
  /** Prism can mock it: a GitHub operation of the contract. */
  github: boolean;
}

async function get(url: string, path: string, token: string) {
  const response = await fetch(`${url}${path}`, {
    headers: {
      authorization: `Bearer ${token}`,
      "user-agent": "credauth-bench",
      accept: "application/vnd.github+json",
    },
  });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}: ${body}`);
  return { headers: response.headers, body };
}

/** The next page's path from a Link header. */
function nextPage(link: string | null): string {
  const next = /<([^>]+)>; rel="next"/.exec(link ?? "")?.[1];
  if (!next) throw new Error(`no next page in ${link}`);
  const url = new URL(next);
  return `${url.pathname}${url.search}`;
}

/** Headers a server sets itself on every answer; the rest are what credauth chose to say. */
const PER_CONNECTION = new Set(["date", "connection", "keep-alive", "content-length", "transfer-encoding"]);

export async function routeThroughput(
  scenario: RouteScenario,
  adminToken: string,
): Promise<{ routes: RouteResult[]; idle: IdleMemory; baseline: RepeatableBaseline }> {
  const { log } = scenario;
  const server = await scenario.startServer(["--demo"], { CREDAUTH_ADMIN_TOKEN: adminToken });
  // /rate_limit answers only where limits are counted; the other routes are measured without them.
  const limited = await scenario.startServer(["--demo", "--no-worker"], { CREDAUTH_RATE_LIMIT: "github" });
  const running: { stop(): Promise<unknown> }[] = [server, limited];
  try {
    // Idle first, as a newcomer's `npm start` leaves it: the demo world loaded, nothing asked yet.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const idle: IdleMemory = { backend: scenario.backend, rssMb: server.rssMb() };
    log(`  idle serve --demo on ${scenario.backend}: ${Math.round(idle.rssMb)} MB resident`);
    // A token that reads the user's own keys: no demo token has read:public_key.
    const keysToken = generateToken("classic_pat");
    const added = await fetch(`${server.url}/_credauth/admin/users/alice_acme/credentials`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json", "user-agent": "bench" },
      body: JSON.stringify({
        type: "classic_pat",
        token: keysToken,
        scopes: ["read:public_key", "read:org"],
        authorized_orgs: ["acme-eng", "acme-web"],
      }),
    });
    if (added.status !== 201) throw new Error(`adding the keys token answered ${added.status}`);
    // A finished job to read: Dora's authorizations in acme revoked.
    const revoked = await fetch(`${server.url}/enterprises/acme/credential-authorizations/dora_acme/revoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${OWNER}`, "user-agent": "bench" },
    });
    const job = new URL(revoked.headers.get("location") ?? "").pathname;
    if (revoked.status !== 202) throw new Error(`the revocation answered ${revoked.status}`);
    for (
      let i = 0;
      (JSON.parse((await get(server.url, job, OWNER)).body) as { state: string }).state !== "succeeded";
      i++
    ) {
      if (i > 500) throw new Error("the demo revocation did not finish");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const orgAudit = "/orgs/acme-eng/audit-log?per_page=5";
    const enterpriseAudit = "/enterprises/acme/audit-log?per_page=5";
    const github = (name: string, path: string, token = OWNER): Route => ({ name, path, token, github: true });
    const routes: Route[] = [
      github("GET /user", "/user"),
      github("org credential authorizations", "/orgs/acme-eng/credential-authorizations"),
      github("… a middle page", "/orgs/acme-eng/credential-authorizations?per_page=2&page=2"),
      github("org audit log", "/orgs/acme-eng/audit-log"),
      github("… a phrase search", "/orgs/acme-eng/audit-log?phrase=action%3Aorg_credential_authorization.grant"),
      github("… the next page by cursor", nextPage((await get(server.url, orgAudit, OWNER)).headers.get("link"))),
      github("enterprise audit log", "/enterprises/acme/audit-log"),
      github("… a phrase search", "/enterprises/acme/audit-log?phrase=actor%3Aolivia_acme"),
      github(
        "… the next page by cursor",
        nextPage((await get(server.url, enterpriseAudit, OWNER)).headers.get("link")),
      ),
      github("GET /user/orgs", "/user/orgs", keysToken),
      github("org members", "/orgs/acme-eng/members"),
      github("GET /user/keys", "/user/keys", keysToken),
      github("GET /rate_limit", "/rate_limit"),
      { name: "the job (credauth's own)", path: job, token: OWNER, github: false },
      { name: "the jobs list (credauth's own)", path: "/_credauth/revocations", token: OWNER, github: false },
    ];
    if (scenario.fewRoutes) routes.splice(0, routes.length, ...routes.filter((r, i) => i % 4 === 0 || !r.github));
    const urlOf = (route: Route) => (route.path === "/rate_limit" ? limited.url : server.url);

    // What credauth answers each path with, byte for byte, for the same-bytes server.
    const captured: Record<string, { status: number; headers: Record<string, string>; body: string }> = {};
    for (const route of routes) {
      const { headers, body } = await get(urlOf(route), route.path, route.token);
      const kept: Record<string, string> = {};
      headers.forEach((value, name) => {
        if (!PER_CONNECTION.has(name)) kept[name] = value;
      });
      captured[route.path] = { status: 200, headers: kept, body };
    }
    const answersFile = join(scenario.scratch, `same-bytes-${scenario.backend}.json`);
    writeFileSync(answersFile, JSON.stringify(captured));
    const sameBytes = scenario.runScript(join(import.meta.dirname, "same-bytes-server.ts"), [answersFile]);
    running.push(sameBytes);
    const [, sameBytesUrl] = await sameBytes.waitFor(/same-bytes listening on (http:\/\/\S+)/, 60_000);
    const prism = await startPrism(log);
    running.push(prism);

    const results: RouteResult[] = [];
    /** One load of a route against one server. */
    const loadRoute = (url: string, route: Route, connections: number, durationSeconds: number) =>
      scenario.load({
        url,
        method: "GET",
        path: route.path,
        token: route.token,
        connections,
        durationSeconds,
        // Prism has no example for GitHub's media type and answers it 406: it is asked for JSON.
        ...(url === prism.url ? { accept: "application/json" } : {}),
      });
    for (const concurrency of scenario.concurrencies) {
      for (const route of routes) {
        const samples: Record<"credauth" | "same" | "prism", LoadResult[]> = { credauth: [], same: [], prism: [] };
        const targets = [
          ["same", sameBytesUrl!],
          ["credauth", urlOf(route)],
          ...(route.github ? [["prism", prism.url] as const] : []),
        ] as const;
        // A second of each first, unrecorded: the route's code compiled, its page read once.
        for (const [, url] of scenario.warmUp ? targets : []) await loadRoute(url, route, concurrency, 1);
        // Rounds that alternate the servers, medians over the rounds: the machine's drift moves all alike.
        for (let round = 0; round < scenario.rounds; round++) {
          for (const [which, url] of targets) {
            samples[which].push(await loadRoute(url, route, concurrency, scenario.seconds));
          }
        }
        const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
        const rps = median(samples.credauth.map((s) => s.rps));
        const sameBytesRps = median(samples.same.map((s) => s.rps));
        const prismRps = route.github ? median(samples.prism.map((s) => s.rps)) : null;
        const failed = (which: "credauth" | "same" | "prism") =>
          samples[which].reduce((n, s) => n + s.non2xx + s.errors, 0);
        if (failed("same") > 0) throw new Error(`the same-bytes server failed on ${route.path}`);
        // A peer measured answering errors would be measured doing something else.
        if (failed("prism") > 0) throw new Error(`Prism answered errors on ${route.path}`);
        results.push({
          backend: scenario.backend,
          route: route.name,
          path: route.path,
          concurrency,
          rps,
          p99: median(samples.credauth.map((s) => s.p99)),
          bytes: Buffer.byteLength(captured[route.path]!.body),
          sameBytesRps,
          ratio: rps / sameBytesRps,
          prismRps,
          prismRatio: prismRps === null ? null : rps / prismRps,
          errors: failed("credauth"),
        });
        log(
          `  route ${scenario.backend} c=${concurrency} ${route.path}: ${Math.round(rps)} req/s, same bytes ${Math.round(sameBytesRps)}` +
            (prismRps === null ? "" : `, Prism ${Math.round(prismRps)}`),
        );
      }
    }
    // The first baseline, to be measured again at the end of the run (bench/drift.ts): a server
    // of the same answers, started anew.
    const first = results[0]!;
    const firstRoute = routes[0]!;
    const baseline: RepeatableBaseline = {
      scenario: "routes",
      backend: scenario.backend,
      baseline: `same bytes ${first.path} at c=${first.concurrency}`,
      unit: "req/s",
      first: first.sameBytesRps,
      async again() {
        const server = scenario.runScript(join(import.meta.dirname, "same-bytes-server.ts"), [answersFile]);
        try {
          const [, url] = await server.waitFor(/same-bytes listening on (http:\/\/\S+)/, 60_000);
          return (await loadRoute(url!, firstRoute, first.concurrency, scenario.seconds)).rps;
        } finally {
          await server.stop();
        }
      },
    };
    return { routes: results, idle, baseline };
  } finally {
    for (const process of running.reverse()) await process.stop();
  }
}
