// Durations as a test harness writes them: a number and a unit, s, m, h or d ("90d", "1.5h").
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d{1,9}(?:\.\d{1,3})?)(s|m|h|d)$/;

/** Milliseconds, or null for anything else (no sign, no spaces, no other units). */
export function parseDuration(text: string): number | null {
  const match = DURATION.exec(text);
  if (!match) return null;
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
}
