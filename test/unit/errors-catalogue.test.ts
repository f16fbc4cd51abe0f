// Every error a client can see is documented, and nothing documented is missing from the code.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Errors } from "../../src/errors.ts";

describe("the error catalogue", () => {
  it("matches docs/errors.md one to one", () => {
    const documented = new Set(
      [
        ...readFileSync(join(import.meta.dirname, "..", "..", "docs", "errors.md"), "utf8").matchAll(
          /^\| `([a-z_]+)` \|/gm,
        ),
      ].map((m) => m[1]),
    );
    const factories = Errors as Record<string, (...args: never[]) => { code: string; status: number }>;
    const codes = new Set(Object.values(factories).map((make) => make(...(["x", ["y"], new Date()] as never[])).code));
    assert.deepEqual([...codes].sort(), [...documented].sort());
  });
});
