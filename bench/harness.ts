// The test harness's own costs (issue 22's targets): startCredauth() with the demo world to its
// first answered request, cold (the first in the process) and warm; the memory each further
// instance adds; a reset on the demo world and on a 10,000-user world; and what the journal and an
// empty fault table add to GET /user, beside the same app without them, in the same run.
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { DEMO_FIXTURE } from "../src/cli/demo.ts";
import { parseConfig } from "../src/config.ts";
import { parseFixture } from "../src/domain/fixture.ts";
import { generateToken } from "../src/domain/tokens.ts";
import { startCredauth } from "../src/harness/index.ts";
import { buildApp } from "../src/http/app.ts";
import { applyFixture } from "../src/store/seed.ts";
import { START_SNAPSHOT, saveSnapshot } from "../src/store/snapshots.ts";
import { buildWorld, type WorldSize } from "./world.ts";

export interface HarnessResult {
  /** A new process importing the built package (dist/, its shipped database) to its first 200 on GET /user, median. */
  packageProcessMs: number;
  /** startCredauth() to the first 200 of GET /user: the first in the process, then the median of the rest. */
  coldStartMs: number;
  warmStartMs: number;
  starts: number;
  /** RSS each further instance adds, MB (median of the increments). */
  perInstanceMb: number;
  /** POST /_credauth/admin/reset through inject(), median ms. */
  resetDemoMs: number;
  resetWorld: { users: number; ms: number };
  resets: number;
  /** GET /user through inject(), median µs: without the harness (no admin token) and with it. */
  withoutHarnessUs: number;
  withHarnessUs: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

async function timeResets(app: Awaited<ReturnType<typeof buildApp>>, adminToken: string, runs: number) {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    // What a test leaves behind: a few credentials destroyed, a few authorizations gone.
    await app.services.db.query(
      "update credentials set destroyed_at = credauth_now() where id in (select id from credentials order by id limit 5)",
    );
    await app.services.db.query(
      "delete from credential_authorizations where id in (select id from credential_authorizations order by id desc limit 5)",
    );
    const started = performance.now();
    const answer = await app.inject({
      method: "POST",
      url: "/_credauth/admin/reset",
      headers: { authorization: `Bearer ${adminToken}` },
    });
    if (answer.statusCode !== 204) throw new Error(`reset answered ${answer.statusCode}: ${answer.body}`);
    times.push(performance.now() - started);
  }
  return median(times);
}

/** Spawns a process that imports the built package, starts it and asks GET /user; ms to its answer. */
function timePackageProcess(): Promise<number> {
  const script = `
    const { startCredauth } = await import(${JSON.stringify(new URL("../dist/harness/index.js", import.meta.url).href)});
    const c = await startCredauth();
    const r = await fetch(c.url + "/user", { headers: { authorization: "Bearer " + c.tokens.alice_acme[0].token, "user-agent": "bench" } });
    if (r.status !== 200) throw new Error("GET /user " + r.status);
    console.log("answered");
    await c.stop();`;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let answered = 0;
    child.stdout.on("data", (chunk: Buffer) => {
      if (answered === 0 && chunk.toString().includes("answered")) answered = performance.now() - started;
    });
    child.on("close", (code) => (code === 0 && answered > 0 ? resolve(answered) : reject(new Error(`exit ${code}`))));
  });
}

export async function harnessCosts(
  options: { starts: number; resets: number; requests: number; worldSize: WorldSize },
  log: (line: string) => void,
): Promise<HarnessResult> {
  // What a user's test process pays: the built package, its shipped database, a new process each time.
  execFileSync(process.execPath, [new URL("../scripts/build.ts", import.meta.url).pathname], { stdio: "ignore" });
  const packageTimes: number[] = [];
  for (let i = 0; i < Math.max(3, options.starts / 2); i++) packageTimes.push(await timePackageProcess());

  // Start-up in this process, cold then warm, each instance kept until the end to see what it holds.
  const startTimes: number[] = [];
  const rss: number[] = [process.memoryUsage().rss];
  const instances = [];
  try {
    for (let i = 0; i < options.starts; i++) {
      const started = performance.now();
      const instance = await startCredauth();
      const alice = instance.tokens.alice_acme![0]!.token;
      const answer = await fetch(`${instance.url}/user`, {
        headers: { authorization: `Bearer ${alice}`, "user-agent": "bench" },
      });
      if (answer.status !== 200) throw new Error(`GET /user answered ${answer.status}`);
      startTimes.push(performance.now() - started);
      instances.push(instance);
      global.gc?.();
      rss.push(process.memoryUsage().rss);
    }
  } finally {
    for (const instance of instances) await instance.stop();
  }
  const increments = rss.slice(2).map((value, i) => (value - rss[i + 1]!) / 1e6);

  // Resets: the demo world, then a generated world of options.worldSize.
  const adminToken = generateToken("classic_pat");
  const config = parseConfig({ data: ":memory:", worker: false, logLevel: "silent", rateLimit: "off", adminToken }, {});
  const demoApp = await buildApp(config);
  let resetDemoMs: number;
  let resetWorldMs: number;
  try {
    await applyFixture(demoApp.services.db, parseFixture(readFileSync(DEMO_FIXTURE, "utf8"), DEMO_FIXTURE));
    await demoApp.services.db.transaction((tx) => saveSnapshot(tx, START_SNAPSHOT));
    resetDemoMs = await timeResets(demoApp, adminToken, options.resets);
  } finally {
    await demoApp.close();
  }
  const worldApp = await buildApp(config);
  try {
    await buildWorld(worldApp.services.db, options.worldSize);
    await worldApp.services.db.transaction((tx) => saveSnapshot(tx, START_SNAPSHOT));
    resetWorldMs = await timeResets(worldApp, adminToken, Math.max(3, Math.floor(options.resets / 4)));
  } finally {
    await worldApp.close();
  }

  // The journal and an empty fault table: the same GET /user with and without the harness installed.
  const token = generateToken("classic_pat");
  const fixture = parseFixture(
    JSON.stringify({ users: [{ login: "bench_user", credentials: [{ type: "classic_pat", token }] }] }),
    "harness-bench.json",
  );
  const apps = {
    without: await buildApp(parseConfig({ data: ":memory:", worker: false, logLevel: "silent", rateLimit: "off" }, {})),
    with: await buildApp(config),
  };
  const samples = { without: [] as number[], with: [] as number[] };
  try {
    for (const app of Object.values(apps)) await applyFixture(app.services.db, fixture);
    const headers = { authorization: `Bearer ${token}`, "user-agent": "bench" };
    for (let round = 0; round < 11; round++) {
      for (const which of round % 2 === 0 ? (["without", "with"] as const) : (["with", "without"] as const)) {
        const app = apps[which];
        await app.inject({ method: "GET", url: "/user", headers });
        const started = performance.now();
        for (let i = 0; i < options.requests; i++) {
          const answer = await app.inject({ method: "GET", url: "/user", headers });
          if (answer.statusCode !== 200) throw new Error(`GET /user answered ${answer.statusCode}`);
        }
        samples[which].push(((performance.now() - started) * 1000) / options.requests);
      }
    }
  } finally {
    for (const app of Object.values(apps)) await app.close();
  }

  const result: HarnessResult = {
    packageProcessMs: median(packageTimes),
    coldStartMs: startTimes[0]!,
    warmStartMs: median(startTimes.slice(1)),
    starts: startTimes.length,
    perInstanceMb: median(increments),
    resetDemoMs,
    resetWorld: { users: options.worldSize.users, ms: resetWorldMs },
    resets: options.resets,
    withoutHarnessUs: median(samples.without),
    withHarnessUs: median(samples.with),
  };
  log(
    `  harness: a new process on the package ${Math.round(result.packageProcessMs)} ms; start ${Math.round(result.coldStartMs)} ms cold, ${Math.round(result.warmStartMs)} ms warm; ` +
      `+${Math.round(result.perInstanceMb)} MB per instance; reset ${result.resetDemoMs.toFixed(1)} ms (demo), ` +
      `${Math.round(resetWorldMs)} ms (${options.worldSize.users} users); GET /user ${result.withoutHarnessUs.toFixed(0)} → ` +
      `${result.withHarnessUs.toFixed(0)} µs with the journal`,
  );
  return result;
}
