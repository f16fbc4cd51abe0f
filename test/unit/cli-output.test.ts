// What the responder's commands print cannot be turned against the person or the spreadsheet that
// reads it: on a terminal, control characters in API data are shown, not obeyed; in CSV, a cell a
// spreadsheet would run as a formula stays text.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { styleText } from "node:util";
import { csvField, forTerminal, terminalOutput } from "../../src/cli/client/output.ts";

// biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for control characters
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;
const HOSTILE_NOTE = "laptop\x1b]0;pwned\x07\x1b[2J\rfake line\x9b31m";

/** Runs `print` with standard output and error as terminals, returning what each got. */
function onTerminal(print: (out: ReturnType<typeof terminalOutput>) => void): { stdout: string; stderr: string } {
  const saved = {
    out: process.stdout.isTTY,
    err: process.stderr.isTTY,
    ow: process.stdout.write,
    ew: process.stderr.write,
  };
  let stdout = "";
  let stderr = "";
  process.stdout.isTTY = true;
  process.stderr.isTTY = true;
  process.stdout.write = ((chunk: string) => {
    stdout += chunk;
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => {
    stderr += chunk;
    return true;
  }) as typeof process.stderr.write;
  try {
    print(terminalOutput({}));
  } finally {
    process.stdout.isTTY = saved.out;
    process.stderr.isTTY = saved.err;
    process.stdout.write = saved.ow;
    process.stderr.write = saved.ew;
  }
  return { stdout, stderr };
}

describe("the CLI's output", () => {
  it("shows control characters from API data as escapes on a terminal, keeping its own styles", () => {
    assert.equal(forTerminal("a\x1b]0;t\x07b\rc\x9bd\ttab\nnext"), "a\\u001b]0;t\\u0007b\\u000dc\\u009bd\ttab\nnext");
    const bold = styleText("bold", "Job 1", { validateStream: false });
    assert.equal(forTerminal(bold), bold, "our own bold survives");
    const { stdout, stderr } = onTerminal((out) => {
      out.table(["note"], [[HOSTILE_NOTE]]);
      out.line(`Created classic_pat "${HOSTILE_NOTE}"`);
      out.note(HOSTILE_NOTE);
    });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for escape sequences
    const styles = /\x1b\[(?:1|2|22|31|32|39)m/g; // what the table's header is styled with
    for (const [name, text] of [
      ["stdout", stdout],
      ["stderr", stderr],
    ] as const) {
      const left = text.replace(styles, "");
      assert.doesNotMatch(left, CONTROL, `${name} obeys no control character: ${JSON.stringify(text)}`);
      assert.match(left, /laptop\\u001b\]0;pwned/, `${name} shows them`);
    }
  });

  it("keeps a CSV cell that a spreadsheet would run as a formula as text", () => {
    assert.equal(csvField('=HYPERLINK("http://x")'), `"'=HYPERLINK(""http://x"")"`);
    for (const formula of ["+1+1", "-1+1", "@SUM(A1)", "\tx", "\rx"])
      assert.ok(csvField(formula).replace(/^"/, "").startsWith("'"), formula);
    assert.equal(csvField("laptop"), "laptop");
    assert.equal(csvField(-3), "-3", "a number is a number");
    assert.equal(csvField(null), "");
    assert.equal(csvField("a,b"), '"a,b"');
  });
});
