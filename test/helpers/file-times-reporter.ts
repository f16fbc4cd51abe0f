// A node:test reporter for `npm test` (scripts/test.ts): each test file's time, as JSON lines. With
// every file of a share in one process, a file's time is the sum of its top-level tests and suites.
export default async function* fileTimes(
  source: AsyncIterable<{
    type: string;
    data: { file?: string; nesting?: number; details?: { duration_ms?: number } };
  }>,
) {
  const seconds = new Map<string, number>();
  for await (const event of source) {
    if ((event.type !== "test:pass" && event.type !== "test:fail") || event.data.nesting !== 0 || !event.data.file)
      continue;
    const { file, details } = event.data;
    seconds.set(file, (seconds.get(file) ?? 0) + (details?.duration_ms ?? 0) / 1000);
  }
  for (const [file, s] of seconds) yield `${JSON.stringify({ file, seconds: s })}\n`;
}
