// GET /openapi.json: the API credauth serves, described. GitHub's operations as GitHub describes
// them (the vendored contract, unchanged), their dry runs (GitHub's parameters and bodies, with a
// preview for an answer), and credauth's extensions (extension.ts). What is not served (the admin
// API and /metrics without an admin token) is not described either.
import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { VERSION } from "../../version.ts";
import type { Services } from "../services.ts";
import { apiBaseUrl } from "../urls.ts";
import {
  credentialsDryRunOperation,
  DRY_RUN_OF,
  dryRunOperation,
  EXTENSION_PATHS,
  EXTENSION_SCHEMAS,
  type GithubOperation,
  SECURITY_SCHEMES,
} from "./extension.ts";

const ROOT = new URL("../../../", import.meta.url);
/** The same relative place in a checkout (src/) and in the package (dist/). */
const CONTRACT_FILE = new URL("contract/ghec-subset.json", ROOT);

interface Contract {
  info: { version: string };
  paths: Record<string, Record<string, GithubOperation>>;
  components: Record<string, Record<string, object>>;
}

/** Paths that exist only when the site-admin token is configured. */
const needsAdminToken = (path: string) => path.startsWith("/_credauth/admin/") || path === "/metrics";

/** The document without its `servers`, which depend on the base the request came in by. */
export function describeApi(options: { adminToken: boolean }): Record<string, unknown> {
  const contract = JSON.parse(readFileSync(CONTRACT_FILE, "utf8")) as Contract;
  const dryRuns = Object.fromEntries(
    DRY_RUN_OF.map((path) => [
      `/_credauth/dry-run${path}`,
      { post: dryRunOperation(path, contract.paths[path]!.post!) },
    ]),
  );
  dryRuns["/_credauth/dry-run/credentials/revoke"] = {
    post: credentialsDryRunOperation(contract.paths["/credentials/revoke"]!.post!),
  };
  const extension = Object.fromEntries(
    Object.entries(EXTENSION_PATHS).filter(([path]) => options.adminToken || !needsAdminToken(path)),
  );
  return {
    openapi: "3.0.3",
    info: {
      title: "credauth",
      version: VERSION,
      description:
        "GitHub Enterprise Cloud's credential-authorization API, self-hosted and stateful. GitHub's operations are " +
        `described as in GitHub's own OpenAPI description (@octokit/openapi ${contract.info.version}, ghec); ` +
        "credauth's additions are under /_credauth and tagged credauth.",
      license: { name: "MIT", url: "https://spdx.org/licenses/MIT" },
    },
    tags: [
      { name: "credauth", description: "Revocation jobs and dry runs" },
      { name: "credauth-admin", description: "Provisioning, with the site-admin token" },
      {
        name: "credauth-harness",
        description: "Reset, snapshots and the clock, for test suites; with the site-admin token",
      },
      { name: "credauth-operations", description: "Health, metrics and this document" },
      { name: "credauth-console", description: "The web console and its session" },
    ],
    paths: { ...contract.paths, ...dryRuns, ...extension },
    components: {
      ...contract.components,
      schemas: { ...contract.components.schemas, ...EXTENSION_SCHEMAS },
      securitySchemes: SECURITY_SCHEMES,
    },
  };
}

/** Built on the first request for it, not at start-up: most servers are never asked. */
const described = new Map<boolean, Record<string, unknown>>();
function documentFor(adminToken: boolean): Record<string, unknown> {
  let document = described.get(adminToken);
  if (!document) {
    document = describeApi({ adminToken });
    described.set(adminToken, document);
  }
  return document;
}

export default async function openApiRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const adminToken = services.config.adminToken !== null;
  // Public, like GitHub's published description; not a GitHub API call, so counted against no limit.
  const config = { rateLimitResource: "none", conditional: "extension" } as const;
  app.get("/openapi.json", { config }, async (request) => ({
    ...documentFor(adminToken),
    servers: [{ url: apiBaseUrl(request), description: "this credauth" }],
  }));
}
