// Regenerates contract/ghec-subset.json: the operations credauth implements (and the GitHub
// endpoints around them), cut out of GitHub's official OpenAPI description with every component
// they reference. `--check` fails when the committed file differs from what the pinned
// @octokit/openapi package produces. The package (hundreds of megabytes) is no dependency: it is
// fetched here, on demand, once, and checked against the integrity its registry entry pins.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The @octokit/openapi release the contract is cut from, and its registry integrity. */
export const OPENAPI_PACKAGE = {
  version: "23.0.2",
  integrity: "sha512-pV8M7L9GY23AybNvTmo2nyjmpmnt6+2sRE/tqr0ZLQcPS4lnw7u5eZGNmwRNkBC3D7gZXbFx5AHzLUVRBXGDhg==",
} as const;

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
const outputPath = join(repoRoot, "contract", "ghec-subset.json");

/**
 * GitHub's ghec.json from the pinned package, fetched with `npm pack` into a cache folder the
 * first time (refused if its SHA-512 is not the pinned one).
 */
const cacheFolder = () => join(repoRoot, "node_modules", ".cache", `octokit-openapi-${OPENAPI_PACKAGE.version}`);
const specPathOf = () => join(cacheFolder(), "package", "generated", "ghec.json");

export function pinnedGhecSpec(): { [key: string]: Json } {
  const cache = cacheFolder();
  const specPath = specPathOf();
  if (!existsSync(specPath)) {
    rmSync(cache, { recursive: true, force: true });
    mkdirSync(cache, { recursive: true });
    execFileSync(
      "npm",
      ["pack", `@octokit/openapi@${OPENAPI_PACKAGE.version}`, "--pack-destination", cache, "--loglevel", "error"],
      {
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
    const tarball = join(cache, readdirSync(cache).find((name) => name.endsWith(".tgz"))!);
    const integrity = `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`;
    if (integrity !== OPENAPI_PACKAGE.integrity)
      throw new Error(`@octokit/openapi ${OPENAPI_PACKAGE.version} has integrity ${integrity}, not the pinned one`);
    execFileSync("tar", ["-xzf", tarball, "-C", cache, "package/generated/ghec.json", "package/LICENSE"]);
    rmSync(tarball);
  }
  return JSON.parse(readFileSync(specPath, "utf8"));
}

/** Exact paths kept from ghec.json, with the methods credauth serves. */
const KEPT_OPERATIONS: Record<string, string[]> = {
  "/enterprises/{enterprise}/credential-authorizations/revoke-all": ["post"],
  "/enterprises/{enterprise}/credential-authorizations/revoke-credential-type": ["post"],
  "/enterprises/{enterprise}/credential-authorizations/{username}/revoke": ["post"],
  "/enterprises/{enterprise}/credential-authorizations/{username}/revoke-credential-type": ["post"],
  "/orgs/{org}/credential-authorizations": ["get"],
  "/orgs/{org}/credential-authorizations/revoke-all": ["post"],
  "/orgs/{org}/credential-authorizations/revoke-credential-type": ["post"],
  "/orgs/{org}/credential-authorizations/{credential_id}": ["delete"],
  "/orgs/{org}/credential-authorizations/{username}/revoke": ["post"],
  "/orgs/{org}/credential-authorizations/{username}/revoke-credential-type": ["post"],
  "/enterprises/{enterprise}/audit-log": ["get"],
  "/orgs/{org}/audit-log": ["get"],
  "/user": ["get"],
  "/orgs/{org}": ["get"],
  "/rate_limit": ["get"],
  "/user/orgs": ["get"],
  "/orgs/{org}/members": ["get"],
  "/user/keys": ["get"],
  "/credentials/revoke": ["post"],
  "/app": ["get"],
  "/app/installations": ["get"],
  "/app/installations/{installation_id}": ["get", "delete"],
  "/app/installations/{installation_id}/access_tokens": ["post"],
  "/app/installations/{installation_id}/suspended": ["put", "delete"],
  "/orgs/{org}/installation": ["get"],
  "/enterprises/{enterprise}/installation": ["get"],
  "/installation/token": ["delete"],
  "/applications/{client_id}/token": ["post", "patch", "delete"],
  "/applications/{client_id}/grant": ["delete"],
  "/applications/{client_id}/token/scoped": ["post"],
  "/orgs/{org}/personal-access-tokens": ["get", "post"],
  "/orgs/{org}/personal-access-tokens/{pat_id}": ["post"],
  "/orgs/{org}/personal-access-tokens/{pat_id}/repositories": ["get"],
  "/orgs/{org}/personal-access-token-requests": ["get", "post"],
  "/orgs/{org}/personal-access-token-requests/{pat_request_id}": ["post"],
  "/orgs/{org}/personal-access-token-requests/{pat_request_id}/repositories": ["get"],
  "/installation/repositories": ["get"],
};

/** Schemas kept although no kept operation refers to them: the names fixtures are checked against. */
const KEPT_SCHEMAS = ["app-permissions"];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function buildSubset(spec: { [key: string]: Json }): { [key: string]: Json } {
  const paths = spec.paths as { [path: string]: { [method: string]: Json } };
  const components = spec.components as { [kind: string]: { [name: string]: Json } };
  const keptPaths: { [path: string]: { [method: string]: Json } } = {};
  for (const [path, methods] of Object.entries(KEPT_OPERATIONS)) {
    const item = paths[path];
    if (!item) throw new Error(`ghec.json has no path ${path}`);
    keptPaths[path] = {};
    for (const method of methods) {
      const operation = item[method];
      if (!operation) throw new Error(`ghec.json has no ${method.toUpperCase()} ${path}`);
      keptPaths[path][method] = operation;
    }
  }

  // Follow every $ref, transitively, and keep only the components reached.
  const keptComponents: { [kind: string]: { [name: string]: Json } } = {};
  const pending: Json[] = [keptPaths, ...KEPT_SCHEMAS.map((name) => ({ $ref: `#/components/schemas/${name}` }))];
  while (pending.length > 0) {
    const node = pending.pop();
    if (Array.isArray(node)) pending.push(...node);
    else if (node !== null && typeof node === "object") {
      for (const [key, value] of Object.entries(node)) {
        if (key === "$ref" && typeof value === "string") {
          const [, , kind, name] = value.split("/");
          if (!kind || !name) throw new Error(`unexpected $ref ${value}`);
          keptComponents[kind] ??= {};
          const kindBucket = keptComponents[kind];
          if (!(name in kindBucket)) {
            const target = components[kind]?.[name];
            if (target === undefined) throw new Error(`dangling $ref ${value}`);
            kindBucket[name] = target;
            pending.push(target);
          }
        } else pending.push(value);
      }
    }
  }
  const sortedComponents: { [kind: string]: { [name: string]: Json } } = {};
  for (const kind of Object.keys(keptComponents).sort()) {
    const bucket = keptComponents[kind]!;
    sortedComponents[kind] = Object.fromEntries(
      Object.keys(bucket)
        .sort()
        .map((name) => [name, bucket[name]!]),
    );
  }
  return {
    openapi: spec.openapi ?? null,
    info: {
      ...(spec.info as { [key: string]: Json }),
      "x-credauth-vendored": `Subset of generated/ghec.json from the npm package @octokit/openapi ${OPENAPI_PACKAGE.version} (MIT, see contract/LICENSE), regenerated by npm run contract:vendor`,
    },
    paths: keptPaths,
    components: sortedComponents,
  };
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const spec = pinnedGhecSpec();
  const text = `${JSON.stringify(buildSubset(spec), null, 2)}\n`;
  if (process.argv.includes("--check")) {
    const committed = readFileSync(outputPath, "utf8");
    if (committed !== text) {
      console.error("contract/ghec-subset.json is out of date: run `npm run contract:vendor` and commit the result.");
      process.exit(1);
    }
    console.log(`contract/ghec-subset.json matches @octokit/openapi ${OPENAPI_PACKAGE.version}`);
  } else {
    writeFileSync(outputPath, text);
    copyFileSync(join(dirname(specPathOf()), "..", "LICENSE"), join(repoRoot, "contract", "LICENSE"));
    console.log(`wrote ${outputPath} from @octokit/openapi ${OPENAPI_PACKAGE.version}`);
  }
}
