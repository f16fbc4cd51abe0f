// What the harness keeps in this process, beside the database: the fault rules in force and the
// journal of requests answered. Both start empty, and a reset or restore empties them again.
import { type FaultRule, type FaultRuleInput, ruleMatches } from "../../domain/faults.ts";

/** How many requests the journal keeps: the oldest go first. */
export const JOURNAL_SIZE = 10_000;

/** A journaled request as kept: its time in epoch ms and its route as Fastify names it. */
interface KeptEntry extends Omit<JournalEntry, "at"> {
  at: number;
}

export interface JournalEntry {
  id: number;
  at: string;
  method: string;
  path: string;
  route: string | null;
  status: number;
  actor: string | null;
  token_type: string | null;
  fault: number | null;
  duration_ms: number;
}

export interface JournalFilter {
  method?: string;
  path?: string;
  status?: number;
  sinceId?: number;
}

export class HarnessState {
  #rules: FaultRule[] = [];
  #nextRuleId = 1;
  #journal: KeptEntry[] = [];
  #nextEntryId = 1;

  addFault(input: FaultRuleInput): FaultRule {
    const rule = { id: this.#nextRuleId++, ...input };
    this.#rules.push(rule);
    return rule;
  }

  faults(): readonly FaultRule[] {
    return this.#rules;
  }

  removeFault(id: number): boolean {
    const before = this.#rules.length;
    this.#rules = this.#rules.filter((rule) => rule.id !== id);
    return this.#rules.length < before;
  }

  clearFaults(): void {
    this.#rules = [];
  }

  /** The first rule that takes this request, counted down (and gone once used up); null for none. */
  takeFault(method: string, path: string, random: () => number = Math.random): FaultRule | null {
    if (this.#rules.length === 0) return null;
    for (const rule of this.#rules) {
      if (!ruleMatches(rule, method, path)) continue;
      if (rule.probability < 1 && random() >= rule.probability) continue;
      if (rule.timesLeft !== null) {
        rule.timesLeft--;
        if (rule.timesLeft === 0) this.removeFault(rule.id);
      }
      return rule;
    }
    return null;
  }

  /** Keeps an answered request, cheaply: what a reader sees is worked out when one asks. */
  record(entry: Omit<KeptEntry, "id">): void {
    this.#journal.push({ id: this.#nextEntryId++, ...entry });
    // Trimmed in one go once twice the size: the oldest go, at no cost per request.
    if (this.#journal.length >= 2 * JOURNAL_SIZE) this.#journal = this.#journal.slice(-JOURNAL_SIZE);
  }

  requests(filter: JournalFilter = {}, matches: (glob: string, path: string) => boolean): JournalEntry[] {
    return this.#journal
      .slice(-JOURNAL_SIZE)
      .filter(
        (entry) =>
          (filter.sinceId === undefined || entry.id > filter.sinceId) &&
          (filter.method === undefined || entry.method === filter.method) &&
          (filter.status === undefined || entry.status === filter.status) &&
          (filter.path === undefined || matches(filter.path, entry.path)),
      )
      .map((entry) => ({
        ...entry,
        at: new Date(entry.at).toISOString(),
        route: entry.route?.replace(/:([A-Za-z_]+)/g, "{$1}") ?? null,
      }));
  }

  clearJournal(): void {
    this.#journal = [];
  }
}
