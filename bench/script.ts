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
