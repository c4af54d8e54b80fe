// The side-by-side benchmark's workload (issue 14), pure: how many rows and transactions each
// phase writes and which rows each client updates. The table, the rules and the statements are the
// shape's (side-by-side-shape.ts); the same text drives Syncline and the PowerSync Service.

export interface SideBySideWorkload {
  /** Rows in the table when capture starts (the initial snapshot). */
  readonly snapshotRows: number;
  /** Insert transactions after the snapshot, and rows in each. */
  readonly batchTransactions: number;
  readonly batchRows: number;
  /** Single-row update transactions, and the clients committing them concurrently. */
  readonly updates: number;
  readonly updateClients: number;
  /** Single-row updates at a steady rate (tx/s) for a number of seconds, from as many clients. */
  readonly steadyRate: number;
  readonly steadySeconds: number;
  readonly steadyClients: number;
  /** Every how many steady transactions one carries a latency probe. */
  readonly probeEvery: number;
}

export const PHASES = ['snapshot', 'batches', 'updates', 'steady'] as const;
export type Phase = (typeof PHASES)[number];

/** Row ids (`r<n>`) that client `client` of `clients` updates, `count` of them, cycling over the snapshot rows. */
export function* rowsUpdatedBy(
  rows: number,
  clients: number,
  client: number,
  count: number,
): Generator<string> {
  // Client c owns the rows n with (n - 1) % clients === c: no two transactions wait on one lock.
  const owned = Math.floor((rows - 1 - client) / clients) + 1;
  for (let i = 0; i < count; i++) yield `r${client + 1 + (i % owned) * clients}`;
}

/** How many of `total` transactions client `client` of `clients` commits. */
export const shareOf = (total: number, clients: number, client: number): number =>
  Math.floor(total / clients) + (client < total % clients ? 1 : 0);

/** Why a workload cannot run, or null. */
export function sideBySideProblem(w: SideBySideWorkload): string | null {
  const positive: [keyof SideBySideWorkload, string][] = [
    ['snapshotRows', '--snapshot-rows'],
    ['batchRows', '--batch-rows'],
    ['updateClients', '--update-clients'],
    ['steadyClients', '--steady-clients'],
    ['probeEvery', '--probe-every'],
  ];
  for (const [key, flag] of positive)
    if (!Number.isInteger(w[key]) || w[key] < 1) return `${flag} must be a positive integer`;
  const nonNegative: [keyof SideBySideWorkload, string][] = [
    ['batchTransactions', '--batch-transactions'],
    ['updates', '--updates'],
    ['steadyRate', '--steady-rate'],
    ['steadySeconds', '--steady-seconds'],
  ];
  for (const [key, flag] of nonNegative)
    if (!Number.isInteger(w[key]) || w[key] < 0) return `${flag} must be an integer >= 0`;
  if (w.updateClients > w.snapshotRows || w.steadyClients > w.snapshotRows)
    return 'each client needs a row of its own: fewer clients than --snapshot-rows';
  return null;
}

/** An LSN as Postgres prints it (`16/B374D848`, either half zero-padded or not), as a number. */
export function parseLsn(text: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim());
  if (match === null) throw new Error(`not an LSN: '${text}'`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** The p-th percentile (0-100) of ascending `sorted`; NaN when empty. */
export const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
