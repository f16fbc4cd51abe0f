// Every README block marked `<!-- readme-test: sh|js -->` runs as written, in the README's order,
// against one `serve --demo`, as a newcomer pastes them (the README's address replaced by the test
// server's): each command must exit 0, and each `#>` (shell) or `//>` (JavaScript) line must appear
// in what its command printed. A block that fails leaves the ones after it unrun.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { migratedDataFolder, startServer } from "../helpers/process.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const README_ADDRESS = "http://127.0.0.1:3000";

interface Block {
  language: "sh" | "js";
  code: string;
  line: number;
}

function testedBlocks(): Block[] {
  const text = readFileSync(join(ROOT, "README.md"), "utf8");
  const blocks: Block[] = [];
  const marker = /<!-- readme-test: (sh|js) -->\n```(?:sh|js)\n([\s\S]*?)\n```/g;
  for (const match of text.matchAll(marker)) {
    blocks.push({
      language: match[1] as Block["language"],
      code: match[2]!,
      line: text.slice(0, match.index).split("\n").length,
    });
  }
  return blocks;
}

interface ShellStep {
  command: string;
  expected: string[];
}

/** A shell block as commands (with their continuation lines) and the `#>` lines after each. */
function shellSteps(code: string): ShellStep[] {
  const steps: ShellStep[] = [];
  const lines = code.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "" || /^\s*#(?!>)/.test(line)) continue;
    if (line.startsWith("#>")) {
      steps.at(-1)!.expected.push(line.slice(3));
      continue;
    }
    let command = line;
    while (command.endsWith("\\") && i + 1 < lines.length) command = `${command}\n${lines[++i]}`;
    steps.push({ command, expected: [] });
  }
  return steps;
}

describe("the README's examples", () => {
  const dir = mkdtempSync(join(tmpdir(), "credauth-readme-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const blocks = testedBlocks();

  it("marks the quick start, the responder's walkthrough, the Octokit example and the dry run for this test", () => {
    assert.deepEqual(
      blocks.map((block) => block.language),
      ["sh", "sh", "js", "sh"],
    );
  });

  it("runs every block as written, in order, on one npm start", { timeout: 300_000 }, async () => {
    const server = await startServer(["--data", await migratedDataFolder(join(dir, "data")), "--demo"]);
    try {
      for (const [index, block] of blocks.entries()) {
        const code = block.code.replaceAll(README_ADDRESS, server.url);
        try {
          if (block.language === "sh") runShell(code, server.url);
          else runJavaScript(code, join(dir, `example-${index}`));
        } catch (error) {
          throw new Error(`README.md:${block.line} (${block.language}): ${(error as Error).message}`, { cause: error });
        }
      }
    } finally {
      await server.stop();
    }
  });

  function runShell(code: string, url: string) {
    const steps = shellSteps(code);
    assert.ok(steps.length > 0);
    // One shell for the whole block, so its aliases and exports carry from command to command.
    const script = [
      "shopt -s expand_aliases",
      ...steps.map((step, i) => `echo "@@step ${i}"\n${step.command} 2>&1\necho "@@exit $?"`),
    ].join("\n");
    const run = spawnSync("bash", ["-c", script], { cwd: ROOT, encoding: "utf8", env: { ...process.env } });
    assert.equal(run.status, 0, run.stderr);
    const outputs = run.stdout.split(/^@@step \d+\n/m).slice(1);
    assert.equal(outputs.length, steps.length, run.stdout);
    steps.forEach((step, i) => {
      const [, output = "", exit] = /^([\s\S]*?)@@exit (\d+)\n?$/.exec(outputs[i]!) ?? [];
      const shown = `${step.command}\n${output}`;
      assert.equal(exit, "0", `the command failed:\n${shown}`);
      for (const expected of step.expected)
        assert.ok(
          output.includes(expected.replaceAll(README_ADDRESS, url)),
          `missing ${JSON.stringify(expected)} in:\n${shown}`,
        );
    });
  }

  function runJavaScript(code: string, folder: string) {
    // Where a reader's script would be: beside the checkout's node_modules, so its imports resolve.
    rmSync(folder, { recursive: true, force: true });
    spawnSync("mkdir", ["-p", folder]);
    symlinkSync(join(ROOT, "node_modules"), join(folder, "node_modules"));
    writeFileSync(join(folder, "example.mjs"), code);
    const run = spawnSync(process.execPath, [join(folder, "example.mjs")], { cwd: ROOT, encoding: "utf8" });
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    const expected = [...code.matchAll(/\/\/> (.*)$/gm)].map((match) => match[1]!);
    assert.ok(expected.length > 0);
    for (const line of expected)
      assert.ok(run.stdout.includes(line), `missing ${JSON.stringify(line)} in:\n${run.stdout}`);
  }
});
