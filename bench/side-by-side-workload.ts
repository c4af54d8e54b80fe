// The side-by-side benchmark's workload (issue 14), pure: the 10-column table, the rules (a
// global bucket and a per-owner bucket, so two bucket ops per row), the SQL each phase runs and
// which rows each client updates. The same text drives Syncline and the PowerSync Service.

/** Distinct owner_id values; each owner's rows form one per-owner bucket. */
export const OWNERS = 1000;
export const BUCKETS_PER_ROW = 2;

export const TABLE_SQL = `CREATE TABLE items (
  id text PRIMARY KEY,
  owner_id text NOT NULL,
  name text NOT NULL,
  description text NOT NULL,
  qty integer NOT NULL,
  price numeric(12, 2) NOT NULL,
  flag boolean NOT NULL,
  counter bigint NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);`;

const COLUMNS = 'id, owner_id, name, description, qty, price, flag, counter, created_at, updated_at';

/** Sync rules in the syntax both systems read. */
export const RULES = `bucket_definitions:
  global:
    data:
      - SELECT ${COLUMNS} FROM items
  by_owner:
    parameters: SELECT request.user_id() AS owner_id
    data:
      - SELECT ${COLUMNS} FROM items WHERE owner_id = bucket.owner_id
`;

/** The row numbered `n` (1-based) as the INSERT writes it. */
const ROW_OF_G = `'r' || g, 'o' || (g % ${OWNERS}), 'item ' || g, 'description of item ' || g || ' in the benchmark',
  g % 100, (g % 100000) / 100.0, g % 2 = 0, g, now(), now()`;

/** Inserts rows $1..$2 in one statement. */
export const INSERT_ROWS_SQL = `INSERT INTO items SELECT ${ROW_OF_G} FROM generate_series($1::int, $2::int) g`;

/**
 * Inserts rows $1..$2 in one statement and returns the WAL insert position after them, before
 * the commit: a checkpoint at or past it covers the transaction (up to another commit that lands
 * between the two, which is microseconds).
 */
export const INSERT_ROWS_LSN_SQL = `WITH w AS (${INSERT_ROWS_SQL} RETURNING 1)
  SELECT pg_current_wal_insert_lsn()::text AS lsn FROM (SELECT count(*) FROM w) done`;

const UPDATE_ROW = `UPDATE items SET counter = counter + 1, qty = qty + 1, updated_at = now() WHERE id = $1`;

/** One single-row transaction: row $1. */
export const UPDATE_ROW_SQL = UPDATE_ROW;

/** Row $1 updated, returning the WAL position as INSERT_ROWS_LSN_SQL does. */
export const UPDATE_ROW_LSN_SQL = `WITH w AS (${UPDATE_ROW} RETURNING 1)
  SELECT pg_current_wal_insert_lsn()::text AS lsn FROM (SELECT count(*) FROM w) done`;

/**
 * Row $1 updated and, in the same transaction, the write-checkpoint message $3 with prefix $2;
 * returns the WAL position as UPDATE_ROW_LSN_SQL does.
 */
export const UPDATE_ROW_PROBE_SQL = `WITH w AS (${UPDATE_ROW} RETURNING 1)
  SELECT pg_logical_emit_message(true, $2, $3) AS message, pg_current_wal_insert_lsn()::text AS lsn
  FROM (SELECT count(*) FROM w) done`;

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
