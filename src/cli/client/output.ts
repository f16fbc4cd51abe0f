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

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
export function csvField(value: string | number | null): string {
  const text = value === null ? "" : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function terminalOutput(env: Record<string, string | undefined>): Output {
  const terminal = process.stdout.isTTY === true;
  const color = terminal && env.NO_COLOR === undefined && env.TERM !== "dumb";
  const style = (format: Parameters<typeof styleText>[0]) => (text: string) =>
    color ? styleText(format, text, { validateStream: false }) : text;
  return {
    terminal,
    interactive: process.stdin.isTTY === true,
    line: (text = "") => void process.stdout.write(`${text}\n`),
    note: (text) => void process.stderr.write(`${text}\n`),
    json: (value) => void process.stdout.write(`${JSON.stringify(value, null, terminal ? 2 : undefined)}\n`),
    table(columns, rows) {
      const cells = [columns, ...rows.map((row) => row.map((cell) => (cell === null ? "" : String(cell))))];
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
