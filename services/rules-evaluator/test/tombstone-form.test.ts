// The bookkeeping trim (libs/bucket-store, docs/consistency.md §2.6) recognises a deleted row's
// stored state by its spelling: the states the evaluator writes for deleted rows must match it,
// and a live row's state must not.
import { isRowTombstone } from '@syncline/bucket-store';
import { planRowChange, type RowEvaluator, type RowState } from '../src/op-planner';
import { TOMBSTONE } from '../src/segment-writer';

const evaluator: RowEvaluator = {
  evaluate: () => ({
    rows: [{ bucket: 'b[]', outputTable: 'todos', id: '1', data: { id: 1 } }],
    lookups: [],
  }),
} as unknown as RowEvaluator;

const change = (image: Record<string, unknown> | null, previous: RowState | null, keepImage = false) =>
  planRowChange(
    {
      table: 'public.todos',
      subkey: 's',
      rowKey: 'public.todos/1',
      opId: 10n,
      previous,
      image: image as never,
      unavailableColumns: [],
      columns: [],
      keepImage,
    },
    evaluator,
  ).state;

describe('the tombstone form the trim relies on', () => {
  it('matches the truncate tombstone and the state of a deleted row', () => {
    expect(isRowTombstone(TOMBSTONE)).toBe(true);
    const live = change({ id: 1 }, null);
    expect(isRowTombstone(JSON.stringify(change(null, live)))).toBe(true);
  });

  it("matches a primary-key change's delete, which keeps the row's image", () => {
    const live = change({ id: 1 }, null);
    const moved = change(null, live, true);
    expect(moved.moved).toBeDefined();
    expect(isRowTombstone(JSON.stringify(moved))).toBe(true);
  });

  it("does not match a live row's state", () => {
    expect(isRowTombstone(JSON.stringify(change({ id: 1 }, null)))).toBe(false);
  });
});
