// The audit log's `phrase` search: `action:`, `actor:`, `user:`, `org:` (each may be negated with
// a leading `-`) and `created:` with GitHub's date qualifiers (`>`, `>=`, `<`, `<=`, `a..b`, a day).

export interface AuditTerm {
  field: "action" | "actor" | "user" | "org";
  value: string;
  negated: boolean;
}

export interface CreatedRange {
  from?: Date;
  fromInclusive: boolean;
  to?: Date;
  toInclusive: boolean;
}

export interface AuditFilter {
  terms: AuditTerm[];
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

export function parsePhrase(phrase: string | undefined): PhraseResult {
  const filter: AuditFilter = { terms: [], created: [] };
  if (phrase === undefined) return { ok: true, filter };
  // Words, with "quoted values" kept whole.
  const words = phrase.match(/-?[a-z_]+:"[^"]*"|\S+/g) ?? [];
  for (const word of words) {
    const match = /^(-?)([a-z_]+):(.*)$/.exec(word);
    if (!match)
      return { ok: false, problem: `'${word}' is not a qualifier such as action:, actor:, user:, org: or created:` };
    const [, minus, field, rawValue] = match as unknown as [string, string, string, string];
    const value = rawValue.replace(/^"(.*)"$/, "$1");
    if (value === "") return { ok: false, problem: `${field}: needs a value` };
    if (field === "created") {
      if (minus) return { ok: false, problem: "created: cannot be negated" };
      const range = parseCreated(value);
      if (!range)
        return {
          ok: false,
          problem: `'${value}' is not a created: date or range such as >=2026-01-01 or 2026-01-01..2026-02-01`,
        };
      filter.created.push(range);
    } else if (field === "action" || field === "actor" || field === "user" || field === "org") {
      filter.terms.push({ field, value, negated: minus === "-" });
    } else {
      return { ok: false, problem: `'${field}:' is not a supported qualifier (action, actor, user, org, created)` };
    }
  }
  return { ok: true, filter };
}
