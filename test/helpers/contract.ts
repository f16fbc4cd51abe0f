// Validates our responses against GitHub's OpenAPI description (contract/ghec-subset.json): the
// status must be declared for the operation, and the body must match its schema. 400 and 401 are
// not declared by these operations although GitHub sends them; they are checked against
// GitHub's generic basic-error schema instead (docs/decisions.md).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";

const contractPath = join(import.meta.dirname, "..", "..", "contract", "ghec-subset.json");

const UNDECLARED_BUT_GITHUB = new Set([400, 401]);

function escapePointer(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

export interface ContractResponse {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}

type Assertion = (
  method: string,
  specPath: string,
  response: ContractResponse,
  alsoUndeclared?: readonly number[],
) => void;

/** Asserts that a response is what the contract allows for `method path` (path as in the spec). */
export const assertMatchesContract: Assertion = validatorFor(JSON.parse(readFileSync(contractPath, "utf8")));

/**
 * The document with each `nullable: true` that has no `type` (an `anyOf` of accounts, say) made a
 * JSON Schema alternative of null, which Ajv's OpenAPI `nullable` cannot express without a type.
 */
// biome-ignore lint/suspicious/noExplicitAny: an OpenAPI document, walked whole
function withTypelessNullables(node: any): any {
  if (Array.isArray(node)) return node.map(withTypelessNullables);
  if (node === null || typeof node !== "object") return node;
  const copy = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, withTypelessNullables(value)]));
  if (copy.nullable === true && copy.type === undefined) {
    const { nullable: _, ...rest } = copy;
    return { anyOf: [rest, { type: "null" }] };
  }
  return copy;
}

/** The same assertion against another OpenAPI document (credauth's own, served at /openapi.json). */
export function validatorFor(
  // biome-ignore lint/suspicious/noExplicitAny: an OpenAPI document, walked by pointer
  contract: any,
): Assertion {
  const ajv = new Ajv({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  ajv.addSchema(withTypelessNullables(contract), "contract");
  const validators = new Map<string, ValidateFunction>();
  const validatorAt = (pointer: string): ValidateFunction => {
    let validate = validators.get(pointer);
    if (!validate) {
      validate = ajv.compile({ $ref: `contract#${pointer}` });
      validators.set(pointer, validate);
    }
    return validate;
  };
  return (method, specPath, response, alsoUndeclared = []) => {
    const operation = contract.paths[specPath]?.[method.toLowerCase()];
    assert.ok(operation, `the contract has no ${method} ${specPath}`);
    const status = String(response.statusCode);
    let pointer: string;
    if (operation.responses[status]) {
      let declared = operation.responses[status];
      pointer = `/paths/${escapePointer(specPath)}/${method.toLowerCase()}/responses/${status}`;
      if (declared.$ref) {
        pointer = declared.$ref.slice(1);
        declared = pointer
          .split("/")
          .slice(1)
          // biome-ignore lint/suspicious/noExplicitAny: a JSON pointer walked through an untyped document
          .reduce((node: any, key: string) => node[key.replace(/~1/g, "/").replace(/~0/g, "~")], contract);
      }
      if (!declared.content) {
        assert.equal(response.body, "", `${method} ${specPath} ${status} declares no body`);
        return;
      }
      pointer += "/content/application~1json/schema";
    } else {
      assert.ok(
        UNDECLARED_BUT_GITHUB.has(response.statusCode) || alsoUndeclared.includes(response.statusCode),
        `${method} ${specPath} does not declare status ${status} (declared: ${Object.keys(operation.responses).join(", ")}); body: ${response.body}`,
      );
      pointer = "/components/schemas/basic-error";
    }
    assert.match(String(response.headers["content-type"]), /^application\/json; charset=utf-8$/);
    const body = JSON.parse(response.body);
    const validate = validatorAt(pointer);
    assert.ok(
      validate(body),
      `${method} ${specPath} ${status} body does not match the contract: ${ajv.errorsText(validate.errors)}\n${response.body}`,
    );
  };
}
