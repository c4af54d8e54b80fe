// How a benchmark script runs: its result lines on stdout, and an exit when main ends — 0 when it
// finished (a missed target is a figure, not a failure), 1 with the stack when it threw. The exit
// also ends whatever clients a failed run left open.

export function runBenchmark(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}

/** One result line. */
export function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * Connector settings given as repeated `key=value` options (`--override`, `--connector-set`): the
 * value is everything after the first `=` (it may hold more), and anything without a key is refused.
 */
export function keyValueSettings(values: readonly string[], option: string): Record<string, string> {
  return Object.fromEntries(
    values.map((text) => {
      const at = text.indexOf('=');
      if (at <= 0) throw new Error(`${option} wants key=value, got ${JSON.stringify(text)}`);
      return [text.slice(0, at), text.slice(at + 1)];
    }),
  );
}

/** A positive integer flag, or an error naming it. */
export function positiveInteger(flag: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < 1)
    throw new Error(`${flag} must be a positive integer, got '${text}'`);
  return n;
}
