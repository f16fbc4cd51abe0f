// The shape of src/: no import circle (type imports included, dynamic imports too), and
// dependencies pointing inward — domain imports nothing of store, jobs, http or cli; store nothing
// of jobs, http or cli; jobs nothing of http or cli; http nothing of cli; cli nothing of the harness. The console's modules
// (console/*.js, loaded by the browser as they are) have no circle either, and import only each other.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, it } from "node:test";

const SRC = join(import.meta.dirname, "..", "..", "src");
const CONSOLE = join(import.meta.dirname, "..", "..", "console");
const IMPORT = /(?:import|export)\s[^;]*?from\s+["'](\.[^"']+)["']|import\(\s*["'](\.[^"']+)["']\s*\)/gs;

/** Every module under root (by its extension) and the modules it imports, by path relative to root. */
function importGraph(root = SRC, extension = ".ts"): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(extension)) continue;
    const file = join(entry.parentPath, entry.name);
    const text = readFileSync(file, "utf8");
    const imports = [...text.matchAll(IMPORT)].map((m) =>
      relative(root, normalize(join(dirname(file), m[1] ?? m[2]!))),
    );
    graph.set(relative(root, file), imports);
  }
  return graph;
}

/** One circle of the graph as a path that returns to its start, or null. */
function findCircle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (node: string): string[] | null => {
    state.set(node, "open");
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === "open") return [...path.slice(path.indexOf(next)), next];
      if (state.get(next) === undefined) {
        const found = visit(next);
        if (found) return found;
      }
    }
    path.pop();
    state.set(node, "done");
    return null;
  };
  for (const node of graph.keys()) {
    if (state.has(node)) continue;
    const found = visit(node);
    if (found) return found;
  }
  return null;
}

const LAYERS = ["domain", "store", "jobs", "http", "cli", "harness"] as const;
const layerOf = (module: string) => LAYERS.indexOf(module.split("/")[0] as (typeof LAYERS)[number]);

describe("the import graph of src/", () => {
  it("reads the imports it checks", () => {
    const graph = importGraph();
    assert.ok(graph.size > 80, `${graph.size} modules`);
    assert.ok(graph.get("http/app.ts")!.includes("jobs/queue.ts"), "sees http/app.ts import jobs/queue.ts");
    assert.deepEqual(
      findCircle(
        new Map([
          ["a", ["b"]],
          ["b", ["c"]],
          ["c", ["a"]],
        ]),
      ),
      ["a", "b", "c", "a"],
    );
  });

  it("has no circle", () => {
    assert.equal(findCircle(importGraph())?.join(" → ") ?? null, null);
  });

  it("points inward: no layer imports one further out", () => {
    const outward: string[] = [];
    for (const [module, imports] of importGraph()) {
      const layer = layerOf(module);
      if (layer === -1) continue;
      for (const imported of imports) if (layerOf(imported) > layer) outward.push(`${module} → ${imported}`);
    }
    assert.deepEqual(outward, []);
  });
});

describe("the console's modules", () => {
  it("have no circle, and import only modules of the console", () => {
    const graph = importGraph(CONSOLE, ".js");
    assert.ok(graph.get("app.js")!.includes("router.js"), "sees app.js import router.js");
    assert.equal(findCircle(graph)?.join(" → ") ?? null, null);
    const missing = [...graph].flatMap(([module, imports]) =>
      imports.filter((imported) => !existsSync(join(CONSOLE, imported))).map((imported) => `${module} → ${imported}`),
    );
    assert.deepEqual(missing, []);
  });
});
