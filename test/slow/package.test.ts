// The published package: `npm pack` builds it (prepack), and installed into an empty folder with
// no dev dependencies it runs `credauth serve` from its compiled JavaScript — the demo world
// loaded, its tokens answered, a revocation queued and refused from the 202 on — and a script of
// that folder imports startCredauth from "credauth" on Node 24 and Node 22, its types checked, and
// every example of docs/testing.md runs there as written (node:test, Vitest, Jest, pytest).
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { runCredauth } from "../helpers/process.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const ALICE = "ghp_credauthDemoAliceAcmeLaptop000000000";
const OLIVIA = "ghp_credauthDemoOliviaAcmeOwner000000000";

describe("the packed package", () => {
  const work = mkdtempSync(join(tmpdir(), "credauth-package-"));
  after(() => rmSync(work, { recursive: true, force: true }));

  it("installs without dev dependencies into an empty folder and serves from dist/", { timeout: 300_000 }, async () => {
    const npm = (args: string[], cwd: string) =>
      execFileSync("npm", [...args, "--no-audit", "--no-fund", "--loglevel", "error"], { cwd, encoding: "utf8" });
    const packed = JSON.parse(npm(["pack", "--json", "--pack-destination", work], ROOT)) as {
      filename: string;
      files: { path: string }[];
    }[];
    const files = packed[0]!.files.map((file) => file.path);
    assert.ok(files.includes("dist/cli/main.js") && files.includes("dist/store/migrations/0001_init.sql"));
    assert.ok(files.includes("dist/harness/migrated-database.tar.gz"), "the harness's migrated database is shipped");
    assert.ok(files.includes("fixtures/demo.yaml"));
    assert.ok(files.includes("contract/ghec-subset.json") && files.includes("contract/LICENSE"));
    assert.ok(["console/index.html", "console/app.js", "console/app.css"].every((file) => files.includes(file)));
    assert.ok(!files.some((path) => path.startsWith("src/") || path.startsWith("test/")), "no sources or tests");

    const app = join(work, "app");
    execFileSync("mkdir", [app]);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "uses-credauth", private: true }));
    npm(["install", "--omit=dev", join(work, packed[0]!.filename)], app);
    const installed = readdirSync(join(app, "node_modules"));
    // The README's figure for the installed size holds (within 15 %).
    const megabytes = Number(
      execFileSync("du", ["-sm", join(app, "node_modules")], { encoding: "utf8" }).split("\t")[0],
    );
    const claimed = Number(
      /dependencies only \(about (\d+) MB/.exec(readFileSync(join(ROOT, "README.md"), "utf8"))?.[1],
    );
    assert.ok(
      Math.abs(megabytes - claimed) <= claimed * 0.15,
      `installed ${megabytes} MB; the README says about ${claimed} MB`,
    );
    for (const devOnly of ["typescript", "@biomejs", "node", "fast-check", "autocannon"])
      assert.ok(!installed.includes(devOnly), `${devOnly} is a dev dependency`);

    const bin = join(app, "node_modules", ".bin", "credauth");
    assert.ok(existsSync(bin));
    assert.match(execFileSync(process.execPath, [bin, "--version"], { encoding: "utf8" }), /^0\.\d+\.\d+/);

    const server = runCredauth(["serve", "--port", "0", "--demo", "--data", join(app, "data")], {}, bin);
    try {
      const [, url] = await server.waitFor(/credauth listening on (https?:\/\/\S+)/, 60_000);
      const get = (path: string, token?: string) =>
        fetch(`${url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      assert.equal((await get("/healthz")).status, 200);
      const described = (await (await get("/openapi.json")).json()) as { paths: Record<string, unknown> };
      assert.ok(described.paths["/_credauth/revocations"], "the package serves its description (contract/ shipped)");
      assert.equal((await get("/user", ALICE)).status, 200);
      const revoke = await fetch(`${url}/enterprises/acme/credential-authorizations/alice_acme/revoke`, {
        method: "POST",
        headers: { authorization: `Bearer ${OLIVIA}`, "content-type": "application/json" },
        body: JSON.stringify({ revoke_credentials: true }),
      });
      assert.equal(revoke.status, 202);
      assert.equal((await get("/user", ALICE)).status, 401);
    } finally {
      assert.equal(await server.stop(), 0);
    }
    installedApp = app;
  });

  let installedApp: string | null = null;
  const USES_HARNESS = `import { startCredauth } from "credauth";
declare const process: { version: string };
const credauth = await startCredauth({ fixture: { users: [{ login: "dev", credentials: [{ type: "classic_pat", note: "ci" }] }] } });
const token: string = credauth.tokens.dev![0]!.token;
const me = await fetch(credauth.url + "/user", { headers: { authorization: "Bearer " + token, "user-agent": "package-test" } });
const advanced: Date = await credauth.clock.advance("1d");
await credauth.reset();
console.log(JSON.stringify({ node: process.version, status: me.status, login: (await me.json()).login, advanced: advanced > new Date() }));
await credauth.stop();
`;

  it("exports startCredauth with its types, for Node 24 and Node 22", { timeout: 300_000 }, () => {
    assert.ok(installedApp, "the package was installed by the test before");
    const app = installedApp;
    writeFileSync(join(app, "uses-harness.ts"), USES_HARNESS);
    // Its types: the consumer type-checks against the package's declarations, as a TypeScript suite would.
    writeFileSync(
      join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "nodenext",
          target: "es2024",
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          noUncheckedIndexedAccess: true,
          types: [],
          lib: ["es2024", "dom"],
        },
        files: ["uses-harness.ts"],
      }),
    );
    const manifest = JSON.parse(readFileSync(join(app, "package.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(app, "package.json"), JSON.stringify({ ...manifest, type: "module" }));
    execFileSync(join(ROOT, "node_modules", ".bin", "tsc"), ["-p", join(app, "tsconfig.json")], { encoding: "utf8" });
    writeFileSync(
      join(app, "uses-harness.mjs"),
      USES_HARNESS.replace(/^declare .*\n/m, "")
        .replace(": string", "")
        .replace(": Date", "")
        .replaceAll("!", ""),
    );

    const node22 = join(work, "node22");
    execFileSync("mkdir", [node22]);
    writeFileSync(join(node22, "package.json"), JSON.stringify({ private: true }));
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel", "error", "node@22"], { cwd: node22 });
    node22Binary = join(node22, "node_modules", ".bin", "node");
    for (const [major, node] of [
      ["v24", process.execPath],
      ["v22", node22Binary],
    ] as const) {
      const output = execFileSync(node, ["uses-harness.mjs"], { cwd: app, encoding: "utf8" })
        .trim()
        .split("\n")
        .at(-1)!;
      const result = JSON.parse(output) as { node: string; status: number; login: string; advanced: boolean };
      assert.ok(result.node.startsWith(`${major}.`), result.node);
      assert.deepEqual({ ...result, node: major }, { node: major, status: 200, login: "dev", advanced: true });
    }
  });

  let node22Binary: string | null = null;

  /** docs/testing.md's examples: the kind of runner, the file name, the code. */
  function guideExamples(): { kind: string; file: string; code: string }[] {
    const text = readFileSync(join(ROOT, "docs", "testing.md"), "utf8");
    const marker = /<!-- testing-example: (\S+) (\S+) -->\n```\w+\n([\s\S]*?)\n```/g;
    return [...text.matchAll(marker)].map((m) => ({ kind: m[1]!, file: m[2]!, code: `${m[3]!}\n` }));
  }

  it("runs every example of docs/testing.md as written", { timeout: 600_000 }, () => {
    assert.ok(installedApp && node22Binary, "the package was installed, and Node 22 fetched, by the tests before");
    const app = installedApp;
    const examples = guideExamples();
    assert.deepEqual(
      examples.map((e) => e.kind),
      ["node-test", "vitest", "jest", "pytest"],
    );
    for (const example of examples) writeFileSync(join(app, example.file), example.code);
    // The project's Node 24 first on the PATH, as a developer's would be (npx credauth runs under it).
    // Not NODE_TEST_CONTEXT: a node --test started from inside a test would report to its parent, not print.
    const { NODE_TEST_CONTEXT: _inherited, ...outside } = process.env;
    const env = { ...outside, PATH: `${join(process.execPath, "..")}:${process.env.PATH}` };
    const run = (command: string, args: string[]) =>
      execFileSync(command, args, { cwd: app, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    run("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--loglevel", "error", "vitest@3", "jest@30"]);
    for (const example of examples) {
      if (example.kind === "node-test") {
        for (const node of [process.execPath, node22Binary])
          assert.match(run(node, ["--test", example.file]), /pass 3\n\S* ?fail 0/, `${example.file} on ${node}`);
      } else if (example.kind === "vitest") {
        assert.match(run(join(app, "node_modules", ".bin", "vitest"), ["run", example.file]), /2 passed/);
      } else if (example.kind === "jest") {
        // Jest reports on stderr.
        const jest = spawnSync(join(app, "node_modules", ".bin", "jest"), [example.file], {
          cwd: app,
          env: { ...env, NODE_OPTIONS: "--experimental-vm-modules" },
          encoding: "utf8",
        });
        assert.equal(jest.status, 0, jest.stderr);
        assert.match(jest.stderr, /Tests:\s+1 passed/);
      } else {
        assert.match(
          run("/usr/bin/python3", ["-m", "pytest", "-q", "-p", "no:cacheprovider", example.file]),
          /3 passed/,
        );
      }
    }
  });
});
