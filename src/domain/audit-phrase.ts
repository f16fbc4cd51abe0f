// The audit log's `phrase` search, with the qualifiers GitHub documents for the enterprise and
// organization audit logs: `action:` (exact, or a category), `actor:`, `actor_id:`, `user:`,
// `user_id:`, `org:`, `org_id:`, `business:`, `business_id:`, `operation:`, `hashed_token:`,
// `token_id:`, the ones these events never carry (`repo:`, `repo_id:`, `country:`, `actor_ip:`),
// and `created:` with GitHub's date qualifiers. Any of them but `created:` may be negated with a
// leading `-`. Different qualifiers must all match; the same qualifier given twice matches either
// value (docs/decisions.md).

/** Qualifiers compared with a text value (case-insensitively, but `hashed_token`). */
export const TEXT_QUALIFIERS = ["action", "actor", "user", "org", "business", "operation", "hashed_token"] as const;
/** Qualifiers compared with an id. */
export const ID_QUALIFIERS = ["actor_id", "user_id", "org_id", "business_id", "token_id"] as const;
/** Documented qualifiers of fields these events never carry: they match nothing (negated, everything). */
export const ABSENT_QUALIFIERS = ["repo", "repo_id", "country", "actor_ip"] as const;

/** The operations GitHub files events under (`operation:` and each event's `operation_type`). */
export const OPERATIONS = ["access", "authentication", "create", "modify", "remove", "restore", "transfer"] as const;

export type AuditTerm =
  | { field: (typeof TEXT_QUALIFIERS)[number]; value: string; negated: boolean }
  | { field: (typeof ID_QUALIFIERS)[number]; value: number; negated: boolean }
  | { field: (typeof ABSENT_QUALIFIERS)[number]; value: string; negated: boolean };

export interface CreatedRange {
  from?: Date;
  fromInclusive: boolean;
  to?: Date;
  toInclusive: boolean;
}

export interface AuditFilter {
  /** Each inner list is one qualifier's positive values (any may match); negated terms are lists of one. */
  terms: AuditTerm[][];
  created: CreatedRange[];
}

export type PhraseResult = { ok: true; filter: AuditFilter } | { ok: false; problem: string };

const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-](\d{2}):?(\d{2}))?)?$/;
/** Audit events exist from the Unix epoch to the end of year 9999; a date outside names none and is refused. */
const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** A calendar date (and time) that exists: 2026-02-30 or 24:00 is refused, not rolled over. */
function parseDate(text: string): Date | null {
  const match = DATE.exec(text);
  if (!match) return null;
  const [, year, month, day, hour = "0", minute = "0", second = "0", , zone, zoneHours = "0", zoneMinutes = "0"] =
    match;
  const [y, mo, d, h, mi, se] = [year, month, day, hour, minute, second].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const calendar = new Date(Date.UTC(y, mo - 1, d));
  if (calendar.getUTCFullYear() !== y || calendar.getUTCMonth() !== mo - 1 || calendar.getUTCDate() !== d) return null;
  if (h > 23 || mi > 59 || se > 59 || Number(zoneHours) > 14 || Number(zoneMinutes) > 59) return null;
  const date = new Date(text.length === 10 ? `${text}T00:00:00Z` : zone === undefined ? `${text}Z` : text);
  const time = date.getTime();
  return Number.isNaN(time) || time < EARLIEST || time > LATEST ? null : date;
}

/** The end of the day (or instant) a date qualifier names, for inclusive upper bounds. */
function endOf(text: string, date: Date): Date {
  return text.length === 10 ? new Date(date.getTime() + 24 * 60 * 60 * 1000 - 1) : date;
}

function parseCreated(value: string): CreatedRange | null {
  const comparison = /^(>=|<=|>|<)(.+)$/.exec(value);
  if (comparison) {
    const [, operator, text] = comparison as unknown as [string, string, string];
    const date = parseDate(text);
    if (!date) return null;
    switch (operator) {
      case ">":
        return { from: endOf(text, date), fromInclusive: false, toInclusive: false };
      case ">=":
        return { from: date, fromInclusive: true, toInclusive: false };
      case "<":
        return { to: date, toInclusive: false, fromInclusive: false };
      default:
        return { to: endOf(text, date), toInclusive: true, fromInclusive: false };
    }
  }
  const range = /^(.+)\.\.(.+)$/.exec(value);
  if (range) {
    const [, fromText, toText] = range as unknown as [string, string, string];
    const from = fromText === "*" ? undefined : parseDate(fromText);
    const to = toText === "*" ? undefined : parseDate(toText);
    if (from === null || to === null) return null;
    return {
      ...(from ? { from } : {}),
      fromInclusive: true,
      ...(to ? { to: endOf(toText, to) } : {}),
      toInclusive: true,
    };
  }
  const day = parseDate(value);
  if (!day) return null;
  return { from: day, fromInclusive: true, to: endOf(value, day), toInclusive: true };
}

const includes = <T extends string>(list: readonly T[], value: string): value is T =>
  (list as readonly string[]).includes(value);

const KNOWN = [...TEXT_QUALIFIERS, ...ID_QUALIFIERS, ...ABSENT_QUALIFIERS, "created"].join(", ");

export function parsePhrase(phrase: string | undefined): PhraseResult {
  const created: CreatedRange[] = [];
  const positive = new Map<string, AuditTerm[]>();
  const negated: AuditTerm[][] = [];
  if (phrase !== undefined) {
    // Words, with "quoted values" kept whole.
    const words = phrase.match(/-?[a-z_]+:"[^"]*"|\S+/g) ?? [];
    for (const word of words) {
      const match = /^(-?)([a-z_]+):(.*)$/.exec(word);
      if (!match)
        return { ok: false, problem: `'${word}' is not a qualifier such as action:, actor:, user:, org: or created:` };
      const [, minus, field, rawValue] = match as unknown as [string, string, string, string];
      const value = rawValue.replace(/^"(.*)"$/, "$1");
      if (value === "") return { ok: false, problem: `${field}: needs a value` };
      let term: AuditTerm;
      if (field === "created") {
        if (minus) return { ok: false, problem: "created: cannot be negated" };
        const range = parseCreated(value);
        if (!range)
          return {
            ok: false,
            problem: `'${value}' is not a created: date or range such as >=2026-01-01 or 2026-01-01..2026-02-01`,
          };
        created.push(range);
        continue;
      }
      if (includes(ID_QUALIFIERS, field)) {
        if (!/^[1-9]\d{0,15}$/.test(value)) return { ok: false, problem: `'${value}' is not an id for ${field}:` };
        term = { field, value: Number(value), negated: minus === "-" };
      } else if (includes(TEXT_QUALIFIERS, field)) {
        if (field === "operation" && !includes(OPERATIONS, value))
          return { ok: false, problem: `'${value}' is not an operation (${OPERATIONS.join(", ")})` };
        // A hash pasted into a URL unescaped has its + turned into spaces; GitHub's own example drops the padding.
        const text = field === "hashed_token" ? value.replaceAll(" ", "+").replace(/=+$/, "") : value;
        term = { field, value: text, negated: minus === "-" };
      } else if (includes(ABSENT_QUALIFIERS, field)) {
        term = { field, value, negated: minus === "-" };
      } else {
        return { ok: false, problem: `'${field}:' is not a supported qualifier (${KNOWN})` };
      }
      if (term.negated) negated.push([term]);
      else positive.set(field, [...(positive.get(field) ?? []), term]);
    }
  }
  return { ok: true, filter: { terms: [...positive.values(), ...negated], created } };
}
