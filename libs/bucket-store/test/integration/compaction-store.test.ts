// Compaction executed in the real Redis (COMPACT_STEP through RedisBucketCompactor), against the
// pure reference (applyCompaction): the bucket Redis holds afterwards is the reference's op for
// op, the checksum and count the gateway reads at every checkpoint at or above the CLEAR are
// unchanged, a step applied twice changes nothing, and a compaction killed with SIGKILL over and
// over, then finished, ends in the same bucket.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { Redis } from 'ioredis';
import { sumChecksums } from '@syncline/protocol';
import { getTestStack, uniqueName } from '@syncline/test-kit';
import {
  BucketStoreInconsistentError,
  RedisBucketCompactor,
  RedisBucketReader,
  RedisBucketWriter,
  RedisCoordination,
  StoreKeys,
  readMemoryUsage,
  CompactionPlanError,
  compactionRead,
  planCompaction,
  planCompactionWindow,
  type CompactableOp,
  type CompactionCursor,
} from '../../src';
import { compactFully, membersOf, put, readWindow, remove, semantic, BUCKET } from '../compaction-model';
import { compactInRedis } from '../compaction-runner';

jest.setTimeout(120_000);

/** A deterministic history: `events` events over 12 rows, one or two ops each, some removes. */
function history(events: number, seed: number): CompactableOp[] {
  let state = seed;
  const next = (n: number): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state % n;
  };
  const ops: CompactableOp[] = [];
  for (let e = 1; e <= events; e++) {
    const rows = new Set([next(12), next(12)].slice(0, 1 + next(2)));
    for (const row of [...rows].sort((a, b) => a - b)) {
      const checksum = next(0x1_0000_0000);
      const id = `r${String(row).padStart(2, '0')}`;
      ops.push(next(5) === 0 ? remove(BigInt(e), id, checksum) : put(BigInt(e), id, `{"e":${e}}`, checksum));
    }
  }
  return ops;
}

describe('compaction in Redis', () => {
  const redis = new Redis(getTestStack().endpoints.redisUrl);
  const prefixes: string[] = [];

  afterAll(async () => {
    for (const prefix of prefixes) await new RedisCoordination(redis, prefix).deleteAll();
    redis.disconnect();
  });

  async function filled(ops: readonly CompactableOp[]) {
    const prefix = `test:${uniqueName('compact')}`;
    prefixes.push(prefix);
    await new RedisBucketWriter(redis, prefix).addOps(ops as never);
    return {
      prefix,
      compactor: new RedisBucketCompactor(redis, prefix),
      reader: new RedisBucketReader(redis, prefix),
    };
  }

  it('leaves the reference bucket, and every checksum and count at or above the CLEAR as it was', async () => {
    const ops = history(300, 7);
    const { prefix, compactor, reader } = await filled(ops);
    const safe = 240n;
    const before = new Map<bigint, unknown>();
    for (let c = 0n; c <= 301n; c++) before.set(c, (await reader.checksumsAt([BUCKET], c))[0]);
    const steps = await compactInRedis(compactor, BUCKET, safe, 7);
    expect(steps).toBeGreaterThan(10);
    const stored = await compactor.opsUpTo(BUCKET, 1000n);
    const reference = compactFully(ops, safe, Number.MAX_SAFE_INTEGER).ops;
    expect(semantic(stored)).toEqual(semantic(reference));
    expect(reference[0]?.op).toBe('CLEAR');
    expect(stored.length).toBeLessThan(ops.length / 2);
    // The MOVEs are stored in packs: fewer members than ops, as the model groups them.
    const members = await redis.zcard(new StoreKeys(prefix).bucket(BUCKET).ops);
    expect(members).toBe(membersOf(stored).length);
    // The memory report counts the ops stored, not the members (meta pack_extra), through packs
    // made, merged and deleted by the CLEAR.
    expect((await readMemoryUsage(redis, prefix)).ops).toBe(stored.length);
    expect(members).toBeLessThan(
      stored.filter((op) => op.op !== 'MOVE').length +
        (2 * stored.filter((op) => op.op === 'MOVE').length) / 3,
    );
    for (let c = reference[0]!.opId; c <= 301n; c++)
      expect([c, (await reader.checksumsAt([BUCKET], c))[0]]).toEqual([c, before.get(c)]);
  });

  it('changes nothing when a step is applied again (a worker that died after the script)', async () => {
    const ops = history(120, 11);
    const { compactor } = await filled(ops);
    const plan = planCompaction(await compactor.opsUpTo(BUCKET, 100n), {
      safeOpId: 100n,
      limit: Number.MAX_SAFE_INTEGER,
    });
    expect(plan.moves.length).toBeGreaterThan(0);
    expect(plan.clear).not.toBeNull();
    // MOVEs of ops the CLEAR replaces anyway are not written.
    const replaced = new Set(plan.clear!.replaces.map((r) => `${r.opId}|${r.rowKey}`));
    const kept = plan.moves.filter((m) => !replaced.has(`${m.opId}|${m.rowKey}`));
    expect(kept.length).toBeGreaterThan(0);
    expect(await compactor.apply(BUCKET, plan)).toEqual({
      moved: kept.length,
      deleted: plan.clear!.replaces.length - 1,
    });
    const once = await compactor.opsUpTo(BUCKET, 1000n);
    await compactor.apply(BUCKET, plan);
    expect(await compactor.opsUpTo(BUCKET, 1000n)).toEqual(once);
  });

  it('refuses a plan made from another state of the bucket (a second compactor), changing nothing', async () => {
    const ops = history(120, 5);
    const { compactor } = await filled(ops);
    const initial = await compactor.opsUpTo(BUCKET, 100n);
    const all = { limit: Number.MAX_SAFE_INTEGER };
    const early = planCompaction(initial, { ...all, safeOpId: 60n });
    const late = planCompaction(initial, { ...all, safeOpId: 100n });
    expect(early.clear).not.toBeNull();
    await compactor.apply(BUCKET, late);
    const after = await compactor.opsUpTo(BUCKET, 1000n);
    await expect(compactor.apply(BUCKET, early)).rejects.toThrow(CompactionPlanError);
    expect(await compactor.opsUpTo(BUCKET, 1000n)).toEqual(after);
  });

  it('ends in the same bucket after being killed with SIGKILL mid-compaction again and again', async () => {
    const ops = history(600, 23);
    const { prefix, compactor, reader } = await filled(ops);
    const safe = 560n;
    const sums = await reader.checksumsAt([BUCKET], 601n);
    const runner = path.resolve(__dirname, '..', 'compaction-runner.ts');
    // tsx registered in this process (`--require`): its CLI would run the runner in a grandchild
    // that a SIGKILL of the child leaves running.
    const tsx = require.resolve('tsx/cjs');
    let kills = 0;
    for (let round = 0; round < 5; round++) {
      const child = spawn(
        process.execPath,
        ['--require', tsx, runner, getTestStack().endpoints.redisUrl, prefix, BUCKET, String(safe), '3'],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let steps = 0;
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.stdout.on('data', (chunk: Buffer) => {
        steps += chunk.toString().split('\n').length - 1;
        // Killed a few steps in, a little later every round.
        if (steps >= 3 + round * 7 && child.exitCode === null && !child.killed) {
          child.kill('SIGKILL');
          kills++;
        }
      });
      await exited;
    }
    expect(kills).toBeGreaterThan(0);
    await compactInRedis(compactor, BUCKET, safe, 3);
    expect(semantic(await compactor.opsUpTo(BUCKET, 1000n))).toEqual(
      semantic(compactFully(ops, safe, Number.MAX_SAFE_INTEGER).ops),
    );
    expect(await reader.checksumsAt([BUCKET], 601n)).toEqual(sums);
  });

  it('reads the windows the pure model reads, and compacts from them to the reference bucket', async () => {
    const ops = history(400, 31);
    const { compactor, reader } = await filled(ops);
    const safe = 350n;
    const sums = await reader.checksumsAt([BUCKET], 401n);
    let cursor: CompactionCursor | undefined;
    let largest = 0;
    for (let step = 0; step < 2000; step++) {
      const read = compactionRead({ safeOpId: safe, limit: 9 }, cursor);
      const window = await compactor.readWindow(BUCKET, read);
      // The same window the model cuts from the bucket as Redis holds it now.
      expect(window).toEqual(readWindow(await compactor.opsUpTo(BUCKET, 1000n), read));
      largest = Math.max(largest, membersOf(window.ops).length);
      const plan = planCompactionWindow(window, { safeOpId: safe, limit: 9 }, cursor);
      await compactor.apply(BUCKET, plan);
      if (plan.next === null) break;
      cursor = plan.next;
    }
    expect(largest).toBeLessThanOrEqual(10);
    expect(semantic(await compactor.opsUpTo(BUCKET, 1000n))).toEqual(
      semantic(compactFully(ops, safe, Number.MAX_SAFE_INTEGER).ops),
    );
    expect(await reader.checksumsAt([BUCKET], 401n)).toEqual(sums);
  });

  it('rebuilds a bucket compaction shrank: same ops and checksums, compact encoding, fewer bytes', async () => {
    const ops = history(400, 41);
    const { prefix, compactor, reader } = await filled(ops);
    const k = new StoreKeys(prefix).bucket(BUCKET);
    expect(await redis.object('ENCODING', k.ops)).toBe('skiplist');
    await compactInRedis(compactor, BUCKET, 390n, 50);
    const compacted = await compactor.opsUpTo(BUCKET, 1000n);
    const sums = await reader.checksumsAt([BUCKET], 401n);
    const left = await redis.zcard(k.ops);
    expect(left).toBeLessThanOrEqual(128);
    const bytes = async (): Promise<number> =>
      Number(await redis.memory('USAGE', k.ops, 'SAMPLES', 0)) +
      Number(await redis.memory('USAGE', k.body, 'SAMPLES', 0));
    const before = await bytes();
    // Fewer members removed than are left, or a bucket above the bound: not rebuilt.
    expect(await compactor.rebuildIfShrunk(BUCKET, left - 1, 10_000)).toBe(0);
    expect(await compactor.rebuildIfShrunk(BUCKET, 10_000, left - 1)).toBe(0);
    expect(await compactor.rebuildIfShrunk(BUCKET, 10_000, 10_000)).toBe(left);
    expect(await compactor.opsUpTo(BUCKET, 1000n)).toEqual(compacted);
    expect(await reader.checksumsAt([BUCKET], 401n)).toEqual(sums);
    // A listpack again when every member is short enough for it (Redis's default 64 bytes).
    const longest = Math.max(...(await redis.zrange(k.ops, 0, -1)).map((m) => m.length));
    expect(await redis.object('ENCODING', k.ops)).toBe(longest <= 64 ? 'listpack' : 'skiplist');
    expect(await bytes()).toBeLessThan(before / 2);
  });

  it('serves whole ranges while another connection compacts: reads are atomic', async () => {
    // Members and bodies read by two commands could straddle a step that packs MOVEs or writes a
    // CLEAR: the members it removed were read, their bodies were gone, and the read lost their
    // checksums (the fault tests' bank checker saw downloads one checksum short).
    const ops = history(1000, 23);
    const { prefix, reader } = await filled(ops);
    const safe = 1000n;
    const [expected] = await reader.checksumsAt([BUCKET], safe);
    const other = new Redis(getTestStack().endpoints.redisUrl);
    let done = false;
    const compacting = compactInRedis(new RedisBucketCompactor(other, prefix), BUCKET, safe, 5).finally(
      () => (done = true),
    );
    const short: string[] = [];
    let reads = 0;
    try {
      while (!done) {
        const read = await reader.opsBetween(BUCKET, 0n, safe, 1_000_000);
        const sum = sumChecksums(read.map((op) => op.checksum));
        if (sum !== expected!.checksum) short.push(`read ${reads}: ${read.length} ops summing to ${sum}`);
        reads++;
      }
      await compacting;
    } finally {
      other.disconnect();
    }
    expect(short).toEqual([]);
    expect(reads).toBeGreaterThan(20);
    const stored = await reader.opsBetween(BUCKET, 0n, safe, 1_000_000);
    expect(stored[0]?.op).toBe('CLEAR');
    expect(stored.length).toBeLessThan(ops.length / 10);
  });

  it('refuses to read a member whose body is gone, naming it (SYNC_E410)', async () => {
    const { prefix, reader } = await filled(history(10, 5));
    const k = new StoreKeys(prefix).bucket(BUCKET);
    const [member] = await redis.zrange(k.ops, 0, 0);
    await redis.hdel(k.body, member!);
    const error = await reader.opsBetween(BUCKET, 0n, 100n, 100).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BucketStoreInconsistentError);
    expect(error).toMatchObject({ code: 'SYNC_E410' });
    expect(String(error)).toContain(member!);
  });

  it('refuses to add again an op a CLEAR replaced (a late writer replaying a batch the checkpoint covers)', async () => {
    const ops = history(120, 3);
    const { prefix, compactor, reader } = await filled(ops);
    const writer = new RedisBucketWriter(redis, prefix);
    await compactInRedis(compactor, BUCKET, 100n, 50);
    const compacted = await compactor.opsUpTo(BUCKET, 1000n);
    const clear = compacted[0]!;
    expect(clear.op).toBe('CLEAR');
    const sums = await reader.checksumsAt([BUCKET], 121n);
    // Every op again, as a replay would write them: the cleared ones stay gone, the rest are present.
    expect(await writer.addOps(ops as never)).toBe(0);
    expect(await compactor.opsUpTo(BUCKET, 1000n)).toEqual(compacted);
    expect(await reader.checksumsAt([BUCKET], 121n)).toEqual(sums);
    // A new op above the CLEAR is still added.
    expect(await writer.addOps([put(500n, 'r01', '{}', 7)] as never)).toBe(1);
  });
});
