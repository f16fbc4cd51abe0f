// The vendored contract is exactly what the pinned @octokit/openapi release produces. Slow tier:
// the first run fetches that release (it is no dependency; scripts/vendor-contract.ts).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { buildSubset, pinnedGhecSpec } from "../../scripts/vendor-contract.ts";

describe("the vendored contract", () => {
  it("is exactly what the pinned @octokit/openapi package produces", { timeout: 120_000 }, () => {
    const committed = readFileSync(join(import.meta.dirname, "..", "..", "contract", "ghec-subset.json"), "utf8");
    assert.equal(
      committed,
      `${JSON.stringify(buildSubset(pinnedGhecSpec()), null, 2)}\n`,
      "run `npm run contract:vendor` and commit the result",
    );
  });

  it("keeps the MIT notice", () => {
    assert.match(readFileSync(join(import.meta.dirname, "..", "..", "contract", "LICENSE"), "utf8"), /MIT License/);
  });
});
