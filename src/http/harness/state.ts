// What the harness keeps in this process, beside the database: the fault rules in force and the
// journal of requests answered. Both start empty, and a reset or restore empties them again.
import { type FaultRule, type FaultRuleInput, ruleMatches } from "../../domain/faults.ts";

/** How many requests the journal keeps: the oldest go first. */
export const JOURNAL_SIZE = 10_000;

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
  #journal: JournalEntry[] = [];
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

  record(entry: Omit<JournalEntry, "id">): void {
    this.#journal.push({ id: this.#nextEntryId++, ...entry });
    if (this.#journal.length > JOURNAL_SIZE) this.#journal.splice(0, this.#journal.length - JOURNAL_SIZE);
  }

  requests(filter: JournalFilter = {}, matches: (glob: string, path: string) => boolean): JournalEntry[] {
    return this.#journal.filter(
      (entry) =>
        (filter.sinceId === undefined || entry.id > filter.sinceId) &&
        (filter.method === undefined || entry.method === filter.method) &&
        (filter.status === undefined || entry.status === filter.status) &&
        (filter.path === undefined || matches(filter.path, entry.path)),
    );
  }

  clearJournal(): void {
    this.#journal = [];
  }
}
