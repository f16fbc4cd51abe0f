// Keeps the benchmark harness from rotting: a tiny run of every scenario on embedded PGlite, checked
// for shape and for the one target that is a correctness property (nothing let in after a 202).
// It asserts no timings: benchmarks are not tests.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type BenchReport, main } from "../../bench/run.ts";
import { postgresBackend } from "../helpers/backends.ts";

describe("the benchmark harness", () => {
  it("runs every scenario in smoke mode and writes its table and JSON", { timeout: 600_000 }, async () => {
    const out = mkdtempSync(join(tmpdir(), "credauth-bench-smoke-"));
    try {
      const report = await main(["--smoke", "--out", out]);
      const written = JSON.parse(readFileSync(join(out, "latest-smoke.json"), "utf8")) as BenchReport;
      assert.deepEqual(written, JSON.parse(JSON.stringify(report)));
      assert.ok(existsSync(join(out, "latest-smoke.md")));
      const [drain] = report.drain;
      assert.equal(drain?.backend, "pglite");
      assert.equal(drain?.authorizations, 400, "the drain revoked every authorization of the smoke world");
      assert.ok(drain!.credentials > 0 && drain!.baselineMs > 0 && drain!.workerPeakRssMb > 0);
      assert.ok(drain!.minimalBaselineMs > 0, "the minimal-schema baseline ran beside the faithful one");
      assert.deepEqual(
        report.enqueue.map((e) => e.concurrency),
        [1, 4],
      );
      assert.ok(
        report.enqueue.every((e) => e.rps > 0 && e.floorRps > 0 && e.prismRps > 0 && e.errors === 0),
        JSON.stringify(report.enqueue),
      );
      assert.ok(
        report.reads.every((r) => r.rps > 0 && r.floorRps > 0 && r.errors === 0),
        JSON.stringify(report.reads),
      );
      // Smoke runs measure every fourth GitHub route and credauth's own two.
      assert.deepEqual(
        report.routes.map((r) => r.route),
        [
          "GET /user",
          "… a phrase search",
          "… the next page by cursor",
          "GET /rate_limit",
          "the job (credauth's own)",
          "the jobs list (credauth's own)",
        ],
      );
      assert.ok(
        report.routes.every(
          (r) =>
            r.rps > 0 &&
            r.sameBytesRps > 0 &&
            r.errors === 0 &&
            (r.path.startsWith("/_credauth/") ? r.prismRps === null : (r.prismRps ?? 0) > 0),
        ),
        JSON.stringify(report.routes),
      );
      assert.ok((report.idleMemory[0]?.rssMb ?? 0) > 0, "the idle demo server's memory was read");
      assert.deepEqual(
        report.mixed.map((m) => [m.route, m.revocationFailures, m.aloneRps > 0 && m.mixedRps > 0]),
        [
          ["GET /user", 0, true],
          ["org credential authorizations", 0, true],
        ],
      );
      // Every scenario with a baseline measured it again at the end of the run.
      assert.deepEqual([...new Set(report.baselineDrift.map((d) => d.scenario))].sort(), [
        "drain",
        "enqueue",
        "load",
        "mixed",
        "reads",
        "routes",
      ]);
      for (const d of report.baselineDrift) {
        assert.ok(d.first > 0 && d.again > 0, `${d.scenario} ${d.baseline} was measured twice`);
        assert.equal(d.flagged, Math.abs(d.drift) > 0.1);
      }
      assert.ok(
        report.smallJobs.every((j) => j.firstJobs.jobs > 0 && j.firstJobs.max >= j.firstJobs.p50),
        JSON.stringify(report.smallJobs),
      );
      assert.equal(report.containment[0]?.trials, 5);
      assert.equal(report.containment[0]?.letInAfter202, 0);
      const [soaked] = report.soak;
      assert.ok(
        soaked && soaked.requests === 80 && soaked.p99ByWindow.length > 0 && soaked.rssMb.length > 1,
        JSON.stringify(report.soak),
      );
      assert.equal(soaked.failures, 0, `the soak's mixed load all succeeded: ${JSON.stringify(soaked.statuses)}`);
      assert.ok(report.startup && report.startup.runs === 1);
      assert.match(readFileSync(join(out, "latest-smoke.md"), "utf8"), /\*\*Drain\*\*/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("proves containment across two serve processes on PostgreSQL", {
    timeout: 240_000,
    skip: postgresBackend === null ? "TEST_DATABASE_URL is not set" : false,
  }, async () => {
    const out = mkdtempSync(join(tmpdir(), "credauth-bench-smoke-"));
    try {
      const report = await main([
        "--smoke",
        "--only",
        "containment",
        "--backends",
        "postgres",
        "--database-url",
        process.env.TEST_DATABASE_URL!,
        "--out",
        out,
      ]);
      assert.deepEqual(
        report.containment.map((c) => [c.servers, c.trials, c.letInAfter202]),
        [
          [1, 5, 0],
          [2, 5, 0],
        ],
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
