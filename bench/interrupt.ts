// Benchmarks create connectors, replication slots and Redis state; a Ctrl-C (or SIGTERM) in the
// middle must not leave them behind (a forgotten slot makes Postgres keep WAL for ever).
// SIGKILL cannot be caught: then `syncline stack down --purge` is the way back.

/** Runs `cleanup` once on SIGINT or SIGTERM, then exits 130; returns a function that unregisters it. */
export function cleanUpOnInterrupt(cleanup: () => Promise<void>): () => void {
  let cleaning = false;
  // Stays registered while cleaning: a Ctrl-C reaches this process twice (from the terminal
  // and relayed by tsx), and a second default SIGINT would end it half-way.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (cleaning) return;
    cleaning = true;
    process.stderr.write(`${signal}: removing this run's connector, slot and state before exiting\n`);
    cleanup()
      .catch((error: unknown) => process.stderr.write(`cleanup failed: ${String(error)}\n`))
      .finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
