// How the client commands write: for a person at a terminal (aligned tables, colour, progress
// bars, questions) or for a script in a pipe (JSON, CSV, no colour, no questions). Decided once,
// from the streams themselves and NO_COLOR.
import { createInterface } from "node:readline/promises";
import { styleText } from "node:util";

export interface Output {
  /** Standard output is a terminal: a person reads it. */
  terminal: boolean;
  /** Standard input is a terminal: a person can answer. */
  interactive: boolean;
  line(text?: string): void;
  /** Progress and notes: standard error, so that standard output stays the result. */
  note(text: string): void;
  json(value: unknown): void;
  table(columns: string[], rows: (string | number | null)[][]): void;
  csv(columns: string[], rows: (string | number | null)[][]): void;
  bold(text: string): string;
  red(text: string): string;
  green(text: string): string;
  dim(text: string): string;
  ask(question: string): Promise<string>;
}

/**
 * RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. A text that a
 * spreadsheet would run as a formula (it starts with = + - @, a tab or a carriage return: a
 * credential's note is anyone's text) is prefixed with ' so it stays text (OWASP's CSV injection).
 */
export function csvField(value: string | number | null): string {
  let text = value === null ? "" : String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The escape sequences of our own styles (bold, dim, red, green and their ends): all we let through. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: recognising escape sequences is the point
const OWN_STYLES = /(\x1b\[(?:1|2|22|31|32|39)m)/;
/** C0 controls but line feed and tab, DEL, and C1 controls: what moves a cursor, retitles a window, writes the clipboard. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/**
 * Text for a terminal: every control character shown as an escape (`\u001b`) rather than obeyed,
 * since API data (a credential's note, a job's error) may carry them; only our own styles stay.
 */
export function forTerminal(text: string): string {
  return text
    .split(OWN_STYLES)
    .map((part, i) =>
      i % 2 === 1 ? part : part.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`),
    )
    .join("");
}

export function terminalOutput(env: Record<string, string | undefined>): Output {
  const terminal = process.stdout.isTTY === true;
  const color = terminal && env.NO_COLOR === undefined && env.TERM !== "dumb";
  const style = (format: Parameters<typeof styleText>[0]) => (text: string) =>
    color ? styleText(format, text, { validateStream: false }) : text;
  const toStdout = terminal ? forTerminal : (text: string) => text;
  const toStderr = process.stderr.isTTY === true ? forTerminal : (text: string) => text;
  return {
    terminal,
    interactive: process.stdin.isTTY === true,
    line: (text = "") => void process.stdout.write(`${toStdout(text)}\n`),
    note: (text) => void process.stderr.write(`${toStderr(text)}\n`),
    json: (value) => void process.stdout.write(`${JSON.stringify(value, null, terminal ? 2 : undefined)}\n`),
    table(columns, rows) {
      const cells = [columns, ...rows.map((row) => row.map((cell) => (cell === null ? "" : toStdout(String(cell)))))];
      const widths = columns.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
      const render = (row: string[]) =>
        row
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join("  ")
          .trimEnd();
      process.stdout.write(`${style("bold")(render(cells[0]!))}\n`);
      for (const row of cells.slice(1)) process.stdout.write(`${render(row)}\n`);
    },
    csv(columns, rows) {
      process.stdout.write(`${columns.map(csvField).join(",")}\r\n`);
      for (const row of rows) process.stdout.write(`${row.map(csvField).join(",")}\r\n`);
    },
    bold: style("bold"),
    red: style("red"),
    green: style("green"),
    dim: style("dim"),
    async ask(question) {
      const prompt = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return (await prompt.question(question)).trim();
      } finally {
        prompt.close();
      }
    },
  };
}
