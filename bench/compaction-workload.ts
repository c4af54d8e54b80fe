// The compaction benchmark's workload, pure: which rows each update transaction of each client
// touches. Clients own disjoint rows (client c the ids with (id - 1) % clients === c), so
// concurrent transactions never wait on each other's row locks or deadlock.
import { seededRandom } from '@syncline/test-kit';

export const UPDATE_PATTERNS = ['uniform', 'round-robin', 'hot-cold'] as const;
export type UpdatePattern = (typeof UPDATE_PATTERNS)[number];

export interface Workload {
  readonly rows: number;
  readonly updates: number;
  /** Rows per update transaction (distinct within one). */
  readonly txRows: number;
  readonly clients: number;
  readonly pattern: UpdatePattern;
  readonly seed: number;
}

/** Share of the rows that is hot, and share of the updates they get, in the hot-cold pattern. */
const HOT_ROWS = 0.1;
const HOT_UPDATES = 0.9;

/** The ids client `client` owns, split into the hot ones (the lowest 10 % of all ids) and the rest. */
function ownedRows(w: Workload, client: number): { hot: number[]; cold: number[] } {
  const hot: number[] = [];
  const cold: number[] = [];
  const hotLimit = Math.max(1, Math.round(w.rows * HOT_ROWS));
  for (let id = client + 1; id <= w.rows; id += w.clients) (id <= hotLimit ? hot : cold).push(id);
  return { hot, cold };
}

/** How many of the run's updates client `client` commits. */
export function updatesOf(w: Workload, client: number): number {
  return Math.floor(w.updates / w.clients) + (client < w.updates % w.clients ? 1 : 0);
}

/** Picks the rows of one client's next transaction (`size` distinct ids). */
type TransactionPicker = (size: number) => number[];

function pickerFor(w: Workload, client: number): TransactionPicker {
  const { hot, cold } = ownedRows(w, client);
  const all = [...hot, ...cold];
  const random = seededRandom(w.seed * 1009 + client);
  /** `count` distinct ids of `list` not in `taken`, added to it (count <= what is left of list). */
  const distinct = (list: readonly number[], count: number, taken: Set<number>): void => {
    for (let added = 0; added < count;) {
      const id = list[Math.floor(random() * list.length)]!;
      if (!taken.has(id)) {
        taken.add(id);
        added++;
      }
    }
  };
  let next = 0;
  const pickers: Record<UpdatePattern, TransactionPicker> = {
    uniform: (size) => {
      const taken = new Set<number>();
      distinct(all, size, taken);
      return [...taken];
    },
    'round-robin': (size) => Array.from({ length: size }, () => all[next++ % all.length]!),
    'hot-cold': (size) => {
      let wantHot = 0;
      for (let i = 0; i < size; i++) if (random() < HOT_UPDATES) wantHot++;
      // More than a set holds goes to the other one: a transaction's rows are distinct.
      const fromHot = Math.max(Math.min(wantHot, hot.length), size - cold.length);
      const taken = new Set<number>();
      distinct(hot, fromHot, taken);
      distinct(cold, size - fromHot, taken);
      return [...taken];
    },
  };
  return pickers[w.pattern];
}

/** The row ids of each update transaction client `client` commits, in order. */
export function* transactionsOf(w: Workload, client: number): Generator<number[]> {
  const owned = ownedRows(w, client);
  const perTx = Math.min(w.txRows, owned.hot.length + owned.cold.length);
  const pick = pickerFor(w, client);
  for (let left = updatesOf(w, client); left > 0;) {
    const size = Math.min(perTx, left);
    left -= size;
    yield pick(size);
  }
}

/** Why a workload cannot run, or null. */
export function workloadProblem(w: Workload): string | null {
  if (!Number.isInteger(w.rows) || w.rows < 1) return '--rows must be a positive integer';
  if (!Number.isInteger(w.updates) || w.updates < 0) return '--updates must be an integer >= 0';
  if (!Number.isInteger(w.txRows) || w.txRows < 1) return '--tx-rows must be a positive integer';
  if (!Number.isInteger(w.clients) || w.clients < 1 || w.clients > w.rows)
    return '--clients must be an integer from 1 to the number of rows';
  if (!UPDATE_PATTERNS.includes(w.pattern)) return `--pattern must be one of ${UPDATE_PATTERNS.join(', ')}`;
  return null;
}

/**
 * The fewest ops a compaction of MOVEs and leading CLEARs (docs/consistency.md §2.6) can leave once
 * it has caught up with every op written: per bucket, each op from the bucket's oldest current op
 * on (a superseded op after it can only become a MOVE), plus one CLEAR for the ops before it when
 * they are two or more. `written` lists the row of each write in op order; a row's buckets never
 * change here and nothing is deleted.
 */
export function compactionFloor(
  written: Iterable<number>,
  bucketsOf: (id: number) => readonly string[],
): number {
  const opsIn = new Map<string, number>();
  /** Per row, the index (within each of its buckets) of its latest op. */
  const latest = new Map<number, number[]>();
  for (const id of written) {
    const positions = bucketsOf(id).map((bucket) => {
      const n = opsIn.get(bucket) ?? 0;
      opsIn.set(bucket, n + 1);
      return n;
    });
    latest.set(id, positions);
  }
  const oldestCurrent = new Map<string, number>();
  for (const [id, positions] of latest)
    bucketsOf(id).forEach((bucket, i) =>
      oldestCurrent.set(bucket, Math.min(oldestCurrent.get(bucket) ?? Infinity, positions[i]!)),
    );
  let kept = 0;
  for (const [bucket, n] of opsIn) {
    const oldest = oldestCurrent.get(bucket)!;
    kept += oldest >= 2 ? n - oldest + 1 : n;
  }
  return kept;
}
