import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, it } from "node:test";
import { buildSubset } from "../../scripts/vendor-contract.ts";

const require = createRequire(import.meta.url);

describe("the vendored contract", () => {
  it("is exactly what the pinned @octokit/openapi package produces", () => {
    const spec = JSON.parse(
      readFileSync(join(require.resolve("@octokit/openapi/package.json"), "..", "generated", "ghec.json"), "utf8"),
    );
    const committed = readFileSync(join(import.meta.dirname, "..", "..", "contract", "ghec-subset.json"), "utf8");
    assert.equal(
      committed,
      `${JSON.stringify(buildSubset(spec), null, 2)}\n`,
      "run `npm run contract:vendor` and commit the result",
    );
  });

  it("keeps the MIT notice", () => {
    assert.match(readFileSync(join(import.meta.dirname, "..", "..", "contract", "LICENSE"), "utf8"), /MIT License/);
  });
});
