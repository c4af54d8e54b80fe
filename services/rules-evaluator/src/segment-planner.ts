// Plans a run of row and message events (no truncate inside) from the rows' stored states: the
// bucket ops, lookup writes, next row states and write checkpoints to write, and the events to
// dead-letter. Pure: reads nothing, writes nothing; segment-writer.ts applies the plan.
import type { LookupWrite, RowStateWrite } from '@syncline/bucket-store';
import type { BucketOp, WriteCheckpoint } from '@syncline/protocol';
import { planRowChange, type RowEvaluator, type RowPlan, type RowState } from './op-planner';
import { unreachable, type PreparedEvent, type RowEvent } from './prepared-event';
import { rowKey, type StoredRow } from './row-state-cache';
import { haltOnLayoutLimit, isLayoutLimit } from './processing-halt';

export interface SegmentPlan {
  readonly ops: BucketOp[];
  /** Commit LSN of the change behind each op (same index as `ops`), for the bucket topic. */
  readonly lsns: (bigint | null)[];
  readonly lookups: LookupWrite[];
  /** Next state of every row the segment changed, by rowKey(). */
  readonly rows: Map<string, RowStateWrite>;
  /** Row states after the segment, by rowKey() (unchanged rows as given). */
  readonly states: Map<string, StoredRow | null>;
  /** Write checkpoints per transaction (END offset). */
  readonly writeCheckpoints: Map<bigint, WriteCheckpoint[]>;
  /** Events the rules could not evaluate: they go to the dead-letter topic. */
  readonly failed: Array<{ readonly event: RowEvent; readonly detail: string }>;
  readonly unfilledToast: number;
}

/** Plans row changes of one table row at a time; subkeys are cached by the caller. */
export class RowPlanner {
  constructor(
    private readonly evaluator: RowEvaluator,
    readonly subkeyOf: (table: string, pk: string) => string,
  ) {}

  change(event: RowEvent, previous: RowState | null, fillFrom: string | null = null): RowPlan {
    return planRowChange(
      {
        table: event.table,
        subkey: this.subkeyOf(event.table, event.pk),
        rowKey: `${event.table}/${event.pk}`,
        opId: event.opId,
        previous,
        image: event.image,
        unavailableColumns: event.unavailable,
        columns: event.columns,
        fillFrom,
        keepImage: event.keyChange === 'delete',
      },
      this.evaluator,
    );
  }

  /** The ops and lookup removals that take a row out of every bucket as of `opId`. */
  removal(table: string, pk: string, opId: bigint, previous: RowState | null): RowPlan {
    return planRowChange(
      {
        table,
        subkey: this.subkeyOf(table, pk),
        rowKey: `${table}/${pk}`,
        opId,
        previous,
        image: null,
        unavailableColumns: [],
        columns: [],
      },
      this.evaluator,
    );
  }
}

export function planSegment(
  segment: readonly PreparedEvent[],
  current: ReadonlyMap<string, StoredRow | null>,
  planner: RowPlanner,
): SegmentPlan {
  const plan: SegmentPlan = {
    ops: [],
    lsns: [],
    lookups: [],
    rows: new Map(),
    states: new Map(current),
    writeCheckpoints: new Map(),
    failed: [],
    unfilledToast: 0,
  };
  let unfilledToast = 0;
  for (const event of segment) {
    switch (event.kind) {
      case 'message':
        if (event.writeCheckpoint !== null)
          addWriteCheckpoint(plan, event.ref.endOffset, event.writeCheckpoint);
        break;
      case 'row':
        unfilledToast += planRow(plan, event, planner);
        break;
      case 'counted':
      case 'skip':
        break;
      case 'truncate':
        throw new Error('a truncate splits segments; it is never planned inside one');
      default:
        unreachable(event);
    }
  }
  return { ...plan, unfilledToast };
}

/**
 * The old key's image for a primary-key change's insert with unchanged TOAST columns: kept on the
 * tombstone its delete left earlier in the same transaction (same partition: planned just before;
 * another: stored, once the caller waited for it). Null when it is not there.
 */
export function movedImage(states: ReadonlyMap<string, StoredRow | null>, event: RowEvent): string | null {
  const change = event.keyChange;
  if (change === null || change === 'delete' || event.unavailable.length === 0) return null;
  const old = states.get(rowKey(event.table, change.from));
  if (old === undefined || old === null || old.opId < change.since || old.opId >= event.opId) return null;
  return old.state.moved ?? null;
}

function addWriteCheckpoint(plan: SegmentPlan, endOffset: bigint, wc: WriteCheckpoint): void {
  const list = plan.writeCheckpoints.get(endOffset) ?? [];
  list.push(wc);
  plan.writeCheckpoints.set(endOffset, list);
}

/** Adds one row change to the plan; returns its unfilled TOAST columns. */
function planRow(plan: SegmentPlan, event: RowEvent, planner: RowPlanner): number {
  const key = rowKey(event.table, event.pk);
  const stored = plan.states.get(key) ?? null;
  // Already applied (a replay after a crash between row state and commit): its ops exist.
  if (stored !== null && stored.opId >= event.opId) return 0;
  let change: RowPlan;
  try {
    change = planner.change(event, stored?.state ?? null, movedImage(plan.states, event));
  } catch (error) {
    if (isLayoutLimit(error)) throw haltOnLayoutLimit(error);
    plan.failed.push({ event, detail: error instanceof Error ? error.message : String(error) });
    return 0;
  }
  for (const op of change.ops) {
    plan.ops.push(op);
    plan.lsns.push(event.lsn);
  }
  for (const l of change.lookups) plan.lookups.push(l);
  plan.states.set(key, { opId: event.opId, state: change.state });
  plan.rows.set(key, {
    table: event.table,
    pk: event.pk,
    opId: event.opId,
    state: JSON.stringify(change.state),
  });
  return change.unfilledToast;
}
