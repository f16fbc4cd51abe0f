// The harness's memory of this process: the journal keeps the last 10,000 requests, oldest first,
// and fault rules are taken in the order added, counted down and tried by their probability.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseFaultRule, pathMatches } from "../../src/domain/faults.ts";
import { HarnessState, JOURNAL_SIZE } from "../../src/http/harness/state.ts";

const entry = (i: number) => ({
  at: Date.UTC(2027, 0, 1) + i,
  method: "GET",
  path: `/orgs/org-${i % 3}`,
  route: "/orgs/:org",
  status: 200,
  actor: null,
  token_type: null,
  fault: null,
  duration_ms: 1,
});

describe("the harness's state", () => {
  it("keeps the last 10,000 requests, oldest first, shown with ISO times and GitHub's route names", () => {
    const state = new HarnessState();
    for (let i = 1; i <= 2.5 * JOURNAL_SIZE; i++) state.record(entry(i));
    const kept = state.requests({}, pathMatches);
    assert.equal(kept.length, JOURNAL_SIZE);
    assert.equal(kept[0]!.id, 1.5 * JOURNAL_SIZE + 1);
    assert.equal(kept.at(-1)!.id, 2.5 * JOURNAL_SIZE);
    assert.equal(kept[0]!.at, new Date(Date.UTC(2027, 0, 1) + 1.5 * JOURNAL_SIZE + 1).toISOString());
    assert.equal(kept[0]!.route, "/orgs/{org}");
    assert.equal(state.requests({ path: "/orgs/org-1", sinceId: 2.5 * JOURNAL_SIZE - 3 }, pathMatches).length, 1);
    state.clearJournal();
    assert.deepEqual(state.requests({}, pathMatches), []);
  });

  it("takes the first matching rule, counts it down, and tries a rule by its probability", () => {
    const state = new HarnessState();
    const rule = (body: Record<string, unknown>) => {
      const parsed = parseFaultRule(body);
      assert.ok(!("problem" in parsed));
      return state.addFault(parsed);
    };
    const twice = rule({ path: "/user", status: 503, times: 2 });
    const sometimes = rule({ method: "GET", status: 500, probability: 0.5 });
    assert.equal(state.takeFault("GET", "/user", () => 0.9)?.id, twice.id);
    assert.equal(state.takeFault("POST", "/user", () => 0.9)?.id, twice.id);
    assert.deepEqual(
      state.faults().map((r) => r.id),
      [sometimes.id],
      "used up, the first is gone",
    );
    assert.equal(
      state.takeFault("GET", "/user", () => 0.7),
      null,
      "a draw above the probability passes",
    );
    assert.equal(state.takeFault("GET", "/user", () => 0.2)?.id, sometimes.id);
    assert.equal(
      state.takeFault("DELETE", "/user", () => 0.2),
      null,
      "another method",
    );
    assert.ok(
      pathMatches(
        "/enterprises/*/credential-authorizations/*/revoke",
        "/enterprises/acme/credential-authorizations/ann/revoke",
      ),
    );
    assert.ok(
      !pathMatches(
        "/enterprises/*/credential-authorizations/*/revoke",
        "/enterprises/acme/credential-authorizations/revoke-all",
      ),
    );
    assert.ok(pathMatches("/user/", "/user"), "a trailing slash is the same path");
  });
});
