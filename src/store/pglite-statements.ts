import { type PGlite, protocol } from "@electric-sql/pglite";
import type { Row } from "./db.ts";

const { serialize } = protocol;

/**
 * Named prepared statements on PGlite's one session. PGlite's own `query` parses, analyses and
 * plans every statement anew in six trips into WebAssembly; the same statement prepared once is
 * bound and executed in one trip, its parse and analysis kept. Whether PostgreSQL also keeps a plan
 * is the session's plan_cache_mode (pglite.ts sets it).
 */
export class PreparedStatements {
  readonly #pglite: PGlite;
  readonly #limit: number;
  // By text; a Map keeps insertion order, so re-inserting on use makes the first entry the least used.
  readonly #prepared = new Map<string, Prepared>();

  constructor(pglite: PGlite, limit = STATEMENTS_KEPT) {
    this.#pglite = pglite;
    this.#limit = limit;
  }

  /** How many statements are prepared now (for tests). */
  get size(): number {
    return this.#prepared.size;
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
    const statement = this.#prepared.get(text) ?? (await this.#prepare(text));
    this.#prepared.delete(text);
    this.#prepared.set(text, statement);
    const bound = statement.parameterTypes.map((type, i) => this.#serialize(values[i], type));
    let messages: Awaited<ReturnType<PGlite["execProtocolStream"]>>;
    try {
      messages = await this.#pglite.execProtocolStream(
        concat(serialize.bind({ statement: statement.name, values: bound }), serialize.execute(), serialize.sync()),
        { syncToFs: false },
      );
    } catch (error) {
      // A change of schema under a kept statement: it is prepared again next time.
      if (isStalePlan(error)) this.#forget(text);
      throw error;
    }
    return this.#rows<T>(statement, messages);
  }

  async #prepare(text: string): Promise<Prepared> {
    if (this.#prepared.size >= this.#limit) {
      const [oldest] = this.#prepared.keys();
      if (oldest !== undefined) await this.#close(oldest);
    }
    const name = `credauth_${++statementsNamed}`;
    const messages = await this.#pglite.execProtocolStream(
      concat(serialize.parse({ name, text }), serialize.describe({ type: "S", name }), serialize.sync()),
      { syncToFs: false },
    );
    let parameterTypes: number[] = [];
    let fields: Prepared["fields"] = [];
    for (const message of messages) {
      if (message.name === "parameterDescription") {
        parameterTypes = (message as unknown as { dataTypeIDs: number[] }).dataTypeIDs;
      } else if (message.name === "rowDescription") {
        const described = (message as unknown as { fields: { name: string; dataTypeID: number }[] }).fields;
        fields = described.map(({ name, dataTypeID }) => ({
          name,
          type: dataTypeID,
          parse: this.#pglite.parsers[dataTypeID],
        }));
      }
    }
    const statement = { name, parameterTypes, fields };
    this.#prepared.set(text, statement);
    return statement;
  }

  async #close(text: string): Promise<void> {
    const statement = this.#prepared.get(text);
    this.#prepared.delete(text);
    if (!statement) return;
    // Closing is not refused in a failed transaction; if it were, the statement would only linger.
    await this.#pglite
      .execProtocolStream(concat(serialize.close({ type: "S", name: statement.name }), serialize.sync()), {
        syncToFs: false,
      })
      .catch(() => {});
  }

  #forget(text: string): void {
    this.#prepared.delete(text);
  }

  #serialize(value: unknown, type: number): string | null {
    if (value === null || value === undefined) return null;
    const serialize = this.#pglite.serializers[type];
    return serialize ? (serialize(value) as string) : String(value);
  }

  #rows<T>(statement: Prepared, messages: readonly { name: string }[]): T[] {
    const rows: T[] = [];
    const { fields } = statement;
    for (const message of messages) {
      if (message.name !== "dataRow") continue;
      const values = (message as unknown as { fields: (string | null)[] }).fields;
      const row: Row = {};
      for (let i = 0; i < fields.length; i++) {
        const field = fields[i] as Prepared["fields"][number];
        const value = values[i] ?? null;
        row[field.name] = value === null || !field.parse ? value : field.parse(value, field.type);
      }
      rows.push(row as T);
    }
    return rows;
  }
}

// Names are unique in the process, so two sets of statements can share a session.
let statementsNamed = 0;

/** Distinct statement texts kept prepared; credauth's own are a few hundred. */
const STATEMENTS_KEPT = 1000;

interface Prepared {
  name: string;
  parameterTypes: number[];
  fields: { name: string; type: number; parse: ((value: string, type: number) => unknown) | undefined }[];
}

// 0A000 "cached plan must not change result type"; 26000 "prepared statement does not exist".
function isStalePlan(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "0A000" || code === "26000";
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const whole = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    whole.set(part, offset);
    offset += part.length;
  }
  return whole;
}
