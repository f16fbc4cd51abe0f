import { type PGlite, protocol } from "@electric-sql/pglite";
import type { Row } from "./db.ts";

const { serialize } = protocol;

/**
 * Statements sent to PGlite's one session in one trip. PGlite's own `query` makes six trips into
 * its WebAssembly per statement (parse, describe, bind, describe, execute, sync), the first two
 * only to learn the parameters' types. Those are learned once per text here; after that a
 * statement is parsed, bound, described and executed in one trip, as an unnamed statement, so
 * PostgreSQL plans it for its values every time: PGlite has no autovacuum to keep a kept generic
 * plan's statistics fresh (decisions 23 and 68).
 */
export class OneTripStatements {
  readonly #pglite: PGlite;
  readonly #limit: number;
  // Parameter types by text; a Map keeps insertion order, so the first entry is the oldest.
  readonly #parameterTypes = new Map<string, number[]>();

  constructor(pglite: PGlite, limit = TEXTS_KEPT) {
    this.#pglite = pglite;
    this.#limit = limit;
  }

  /** How many statements' parameter types are known (for tests). */
  get size(): number {
    return this.#parameterTypes.size;
  }

  /**
   * Runs a statement alone, as PGlite's `query` does: behind any transaction or statement that
   * holds the session, and written to the data folder afterwards.
   */
  async alone<T extends object>(text: string, values: readonly unknown[]): Promise<T[]> {
    const pglite = this.#pglite;
    return await pglite._runExclusiveTransaction(() =>
      pglite._runExclusiveQuery(async () => {
        const rows = await this.#run<T>(text, values);
        await pglite.syncToFs();
        return rows;
      }),
    );
  }

  /**
   * Runs a statement inside the transaction whose callback calls it (which holds the session). One
   * statement at a time even so: PGlite keeps a single statement's results in flight.
   */
  async inTransaction<T extends object>(text: string, values: readonly unknown[]): Promise<T[]> {
    return await this.#pglite._runExclusiveQuery(() => this.#run<T>(text, values));
  }

  async #run<T extends object>(text: string, values: readonly unknown[]): Promise<T[]> {
    const types = this.#parameterTypes.get(text) ?? (await this.#describe(text));
    const bound = types.map((type, i) => this.#serialize(values[i], type));
    try {
      const messages = await this.#pglite.execProtocolStream(
        concat(
          serialize.parse({ text, types }),
          serialize.bind({ values: bound }),
          serialize.describe({ type: "P" }),
          serialize.execute(),
          serialize.sync(),
        ),
        { syncToFs: false },
      );
      return this.#rows<T>(messages);
    } catch (error) {
      // Learned again next time, in case a migration changed what the statement takes.
      this.#parameterTypes.delete(text);
      throw error;
    }
  }

  async #describe(text: string): Promise<number[]> {
    const messages = await this.#pglite.execProtocolStream(
      concat(serialize.parse({ text }), serialize.describe({ type: "S" }), serialize.sync()),
      { syncToFs: false },
    );
    const description = messages.find((message) => message.name === "parameterDescription");
    const types = (description as unknown as { dataTypeIDs: number[] } | undefined)?.dataTypeIDs ?? [];
    if (this.#parameterTypes.size >= this.#limit) {
      const [oldest] = this.#parameterTypes.keys();
      if (oldest !== undefined) this.#parameterTypes.delete(oldest);
    }
    this.#parameterTypes.set(text, types);
    return types;
  }

  #serialize(value: unknown, type: number): string | null {
    if (value === null || value === undefined) return null;
    const serialize = this.#pglite.serializers[type];
    return serialize ? (serialize(value) as string) : String(value);
  }

  #rows<T>(messages: readonly { name: string }[]): T[] {
    const rows: T[] = [];
    let fields: { name: string; type: number; parse: ((value: string, type: number) => unknown) | undefined }[] = [];
    for (const message of messages) {
      if (message.name === "rowDescription") {
        const described = (message as unknown as { fields: { name: string; dataTypeID: number }[] }).fields;
        fields = described.map(({ name, dataTypeID }) => ({
          name,
          type: dataTypeID,
          parse: this.#pglite.parsers[dataTypeID],
        }));
      } else if (message.name === "dataRow") {
        const values = (message as unknown as { fields: (string | null)[] }).fields;
        const row: Row = {};
        for (let i = 0; i < fields.length; i++) {
          const field = fields[i] as (typeof fields)[number];
          const value = values[i] ?? null;
          row[field.name] = value === null || !field.parse ? value : field.parse(value, field.type);
        }
        rows.push(row as T);
      }
    }
    return rows;
  }
}

/** Distinct statement texts whose parameter types are kept; credauth's own are a few hundred. */
const TEXTS_KEPT = 1000;

function concat(...parts: Uint8Array[]): Uint8Array {
  const whole = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    whole.set(part, offset);
    offset += part.length;
  }
  return whole;
}
