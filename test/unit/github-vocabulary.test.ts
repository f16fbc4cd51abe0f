// The permission names fixtures are checked against are GitHub's own, as its OpenAPI description
// lists them; credauth adds only the one its operations use that GitHub's description lacks.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  CREDAUTH_PERMISSIONS,
  closest,
  GITHUB_APP_PERMISSIONS,
  PERMISSIONS,
} from "../../src/domain/github-vocabulary.ts";
import { OPERATIONS } from "../../src/domain/operations.ts";

const contract = JSON.parse(
  readFileSync(join(import.meta.dirname, "..", "..", "contract", "ghec-subset.json"), "utf8"),
) as { components: { schemas: Record<string, { properties: Record<string, { enum: string[] }> }> } };

describe("GitHub's vocabulary", () => {
  it("lists exactly the permissions and levels of GitHub's app-permissions schema", () => {
    const fromContract = Object.fromEntries(
      Object.entries(contract.components.schemas["app-permissions"]!.properties).map(([name, p]) => [name, p.enum]),
    );
    assert.deepEqual(GITHUB_APP_PERMISSIONS, fromContract);
    for (const name of Object.keys(CREDAUTH_PERMISSIONS)) assert.ok(!(name in fromContract), `${name} is GitHub's now`);
  });

  it("knows every permission credauth's operations check", () => {
    for (const [operation, access] of Object.entries(OPERATIONS))
      for (const permission of access.permissions)
        assert.ok(PERMISSIONS[permission.name]?.includes(permission.level), `${operation}: ${permission.name}`);
  });

  it("suggests the name a typo meant, and nothing for a word far from any", () => {
    assert.equal(closest("admin:enterpise", ["admin:enterprise", "admin:org"]), "admin:enterprise");
    assert.equal(closest("contentz", Object.keys(PERMISSIONS)), "contents");
    assert.equal(closest("banana", ["admin:enterprise", "repo"]), null);
  });
});
