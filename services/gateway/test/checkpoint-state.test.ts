import { CheckpointState } from '../src/checkpoint-state';

const b = (bucket: string, checksum: number, priority = 3) => ({ bucket, checksum, count: 1, priority });

describe('CheckpointState', () => {
  it('sends a full checkpoint first, then diffs of what changed, and nothing when nothing did', () => {
    const s = new CheckpointState();
    const first = { lastOpId: 10n, buckets: [b('a', 1), b('b', 2)], writeCheckpoint: null };
    expect(s.next(first)?.line).toMatchObject({ kind: 'checkpoint', lastOpId: 10n });
    s.sentLine(first);
    expect(s.next({ ...first, lastOpId: 11n })).toBeNull();
    const second = { lastOpId: 12n, buckets: [b('a', 5), b('c', 0)], writeCheckpoint: null };
    const diff = s.next(second)!;
    expect(diff.line).toEqual({
      kind: 'checkpoint_diff',
      lastOpId: 12n,
      writeCheckpoint: null,
      updatedBuckets: [b('a', 5), b('c', 0)],
      removedBuckets: ['b'],
    });
    expect(diff.changed.map((x) => x.bucket)).toEqual(['a', 'c']);
    s.sentLine(second);
    // Only the write checkpoint changed: a diff with empty lists; it never goes back.
    const wc = s.next({ ...second, lastOpId: 13n, writeCheckpoint: 4n })!;
    expect(wc.line).toMatchObject({
      kind: 'checkpoint_diff',
      writeCheckpoint: 4n,
      updatedBuckets: [],
      removedBuckets: [],
    });
    s.sentLine({ ...second, lastOpId: 13n, writeCheckpoint: 4n });
    expect(s.next({ ...second, lastOpId: 14n, writeCheckpoint: null })).toBeNull();
  });
});

describe('CheckpointState on sync streams', () => {
  it('puts the streams on the full line only, and sends a diff when a bucket’s subscriptions change', () => {
    const s = new CheckpointState();
    const streams = [{ name: 'todos', isDefault: false, errors: [] }];
    const first = {
      lastOpId: 10n,
      buckets: [{ ...b('a', 1), subscriptions: [{ sub: 0 }] }],
      writeCheckpoint: null,
      streams,
    };
    expect(s.next(first)?.line).toMatchObject({ kind: 'checkpoint', streams });
    s.sentLine(first);
    expect(
      s.next({ ...first, lastOpId: 11n, buckets: [{ ...b('a', 1), subscriptions: [{ sub: 0 }] }] }),
    ).toBeNull();
    const second = {
      ...first,
      lastOpId: 12n,
      buckets: [{ ...b('a', 1), subscriptions: [{ sub: 0 }, { sub: 1 }] }],
    };
    expect(s.next(second)?.line).toEqual({
      kind: 'checkpoint_diff',
      lastOpId: 12n,
      writeCheckpoint: null,
      updatedBuckets: second.buckets,
      removedBuckets: [],
    });
  });
});
