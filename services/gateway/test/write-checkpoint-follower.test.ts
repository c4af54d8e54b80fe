import type { Checkpoint } from '@syncline/bucket-store';
import type { WriteCheckpoint } from '@syncline/protocol';
import { WriteCheckpointFollower } from '../src/write-checkpoint-follower';

const cp = (op: number, previous: number | null | undefined, wcs: WriteCheckpoint[] = []): Checkpoint => ({
  lastOpId: String(op),
  endOffset: String(op),
  lsn: null,
  commitTimeMs: null,
  publishedAtMs: 0,
  writeCheckpoints: wcs,
  ...(previous === undefined ? {} : { previousOpId: previous === null ? null : String(previous) }),
});

describe('WriteCheckpointFollower', () => {
  /** The stored write checkpoint of u1/c1 per checkpoint, as Redis would answer. */
  const stored = new Map<bigint, bigint | null>([
    [10n, null],
    [20n, 3n],
    [30n, 3n],
    [40n, 5n],
  ]);

  it('reads once, then follows consecutive checkpoints from what they carry', async () => {
    const asked: bigint[] = [];
    const f = new WriteCheckpointFollower('u1', 'c1', async (at) => {
      asked.push(at);
      return stored.get(at) ?? null;
    });
    expect(await f.at(cp(10, null))).toBeNull();
    // Another client's and another user's write checkpoints are not this client's.
    expect(
      await f.at(
        cp(20, 10, [
          { userId: 'u1', clientId: 'c1', n: '3' },
          { userId: 'u1', clientId: 'c2', n: '9' },
          { userId: 'u2', clientId: 'c1', n: '8' },
        ]),
      ),
    ).toBe(3n);
    expect(await f.at(cp(30, 20))).toBe(3n);
    expect(await f.at(cp(30, 20))).toBe(3n); // the same checkpoint again
    expect(asked).toEqual([10n]);
  });

  it('reads the stored value again after a skipped checkpoint or one that names no predecessor', async () => {
    const asked: bigint[] = [];
    const f = new WriteCheckpointFollower('u1', 'c1', async (at) => {
      asked.push(at);
      return stored.get(at) ?? null;
    });
    expect(await f.at(cp(10, null))).toBeNull();
    // 20 (which carried n=3) was skipped: 30 follows 20, not 10.
    expect(await f.at(cp(30, 20))).toBe(3n);
    expect(await f.at(cp(40, undefined))).toBe(5n);
    expect(asked).toEqual([10n, 30n, 40n]);
  });

  it('never goes back to a smaller number a re-delivered transaction carries again', async () => {
    const f = new WriteCheckpointFollower('u1', 'c1', async () => 5n);
    expect(await f.at(cp(40, null))).toBe(5n);
    expect(await f.at(cp(50, 40, [{ userId: 'u1', clientId: 'c1', n: '4' }]))).toBe(5n);
  });
});
