// One clock (domain/clock.ts, credauth_now() in SQL): no other reading of the time of day is left
// in src/. A reading that must stay on real time — a duration, a lease or heartbeat between
// processes, pg-boss's own scheduling, a file name, a certificate — says so with a `real time:`
// comment on its line or one of the four above it, with the reason.
import assert from "node:assert/strict";
import { globSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";

const ROOT = join(import.meta.dirname, "..", "..");
// Date.now(), new Date() with no argument, and SQL's clocks (now() not called on an object).
const TIME_READ =
  /Date\.now\b|new Date\(\)|\bclock_timestamp\(\)|(?<![.\w])now\(\)|\b(current_timestamp|localtimestamp|statement_timestamp|transaction_timestamp)\b/i;
const MARKER = /real time:/;

function unmarkedReads(): string[] {
  const found: string[] = [];
  for (const file of globSync("src/**/*.{ts,sql}", { cwd: ROOT })) {
    // Migrations before the clock's are history: migration 11 moved their defaults to credauth_now().
    const migration = /migrations\/(\d{4})_/.exec(file);
    if (migration && Number(migration[1]) < 11) continue;
    const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
    lines.forEach((line, i) => {
      if (!TIME_READ.test(line)) return;
      if (lines.slice(Math.max(0, i - 4), i + 1).some((near) => MARKER.test(near))) return;
      found.push(`${relative(ROOT, join(ROOT, file))}:${i + 1}: ${line.trim()}`);
    });
  }
  return found;
}

describe("one clock", () => {
  it("leaves no reading of the time in src/ but the clock's, and those marked as real time", () => {
    assert.deepEqual(unmarkedReads(), []);
  });

  it("finds a reading that is not marked (the check can fail)", () => {
    assert.ok(TIME_READ.test("const t = Date.now();"));
    assert.ok(TIME_READ.test("now: () => number = Date.now"));
    assert.ok(TIME_READ.test("update x set at = clock_timestamp()"));
    assert.ok(TIME_READ.test("where start_after <= now()"));
    assert.ok(!TIME_READ.test("const t = performance.now();"), "a duration is not a time of day");
    assert.ok(!TIME_READ.test("const t = clock.now();"));
    assert.ok(!TIME_READ.test("select credauth_now()"));
  });
});
