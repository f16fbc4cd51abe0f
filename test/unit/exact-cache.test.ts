// The exact cache shares one load among callers of the same epoch, never across a write, and keeps
// no more weight than its budget. Driven through a fake port whose epoch the test moves.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Db } from "../../src/store/db.ts";
import { exactCache } from "../../src/store/exact-cache.ts";

function portAt(epoch: () => number | null): Db {
  return { writeEpoch: epoch } as unknown as Db;
}

/** A load the test finishes by hand, counting how often it was started. */
function manualLoad<V>() {
  let starts = 0;
  const finishers: ((value: V) => void)[] = [];
  return {
    load: () => {
      starts++;
      return new Promise<V>((resolve) => finishers.push(resolve));
    },
    starts: () => starts,
    finishAll: (value: V) => {
      for (const finish of finishers.splice(0)) finish(value);
    },
  };
}

describe("exact cache", () => {
  it("gives callers that arrive while a load is under way that load's answer", async () => {
    const read = exactCache(portAt(() => 0));
    const slow = manualLoad<string>();
    const answers = Promise.all([read("k", slow.load), read("k", slow.load), read("k", slow.load)]);
    slow.finishAll("page");
    assert.deepEqual(await answers, ["page", "page", "page"]);
    assert.equal(slow.starts(), 1);
    assert.equal(await read("k", slow.load), "page", "and keeps it");
    assert.equal(slow.starts(), 1);
  });

  it("starts a load of its own for a caller that arrives after a write", async () => {
    let epoch = 0;
    const read = exactCache(portAt(() => epoch));
    const slow = manualLoad<string>();
    const before = read("k", slow.load);
    epoch++; // a write was acknowledged while the first load ran
    const afterWrite = read("k", slow.load);
    assert.equal(slow.starts(), 2, "the caller after the write does not share the older load");
    slow.finishAll("page");
    await Promise.all([before, afterWrite]);
  });

  it("shares a failure without keeping it", async () => {
    const read = exactCache(portAt(() => 0));
    let starts = 0;
    const failing = async () => {
      starts++;
      await new Promise((resolve) => setImmediate(resolve));
      throw new Error("database unavailable");
    };
    const results = await Promise.allSettled([read("k", failing), read("k", failing)]);
    assert.deepEqual(
      results.map((r) => r.status),
      ["rejected", "rejected"],
    );
    assert.equal(starts, 1);
    assert.equal(await read("k", async () => "back"), "back", "the next caller loads again");
  });

  it("starts over when what it keeps would weigh more than its budget, and never keeps the overweight", async () => {
    const read = exactCache(
      portAt(() => 0),
      { budget: 10, weigh: (value) => String(value).length },
    );
    let loads = 0;
    const load = (value: string) => async () => {
      loads++;
      return value;
    };
    await read("a", load("123456"));
    await read("a", load("123456"));
    assert.equal(loads, 1);
    await read("b", load("123456")); // 12 > 10: the cache starts over, then keeps b
    await read("b", load("123456"));
    assert.equal(loads, 2);
    await read("a", load("123456"));
    assert.equal(loads, 3, "a was dropped to make room");
    await read("c", load("x".repeat(11)));
    await read("c", load("x".repeat(11)));
    assert.equal(loads, 5, "an answer heavier than the budget is never kept");
  });
});
