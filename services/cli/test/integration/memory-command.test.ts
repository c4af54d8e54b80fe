// `syncline memory` against the run's real Redis: a deployment's ops, row states and lookups are
// written through the bucket store's own writer, and the command must find them by category and
// bucket, with the op counts written, and leave out another deployment's keys.
import { randomBytes } from 'node:crypto';
import { keyPrefixFor } from '@syncline/bucket-store';
import { getTestStack, openDeploymentState, type DeploymentState } from '@syncline/test-kit';
import type { CliIo } from '../../src/io';
import { main } from '../../src/main';

function capture(): { io: CliIo; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l) => out.push(l), err: (l) => err.push(l), interactive: false }, out, err };
}

function put(bucket: string, opId: bigint, id: string, data: string) {
  return {
    bucket,
    op: 'PUT' as const,
    opId,
    objectType: 'todos',
    objectId: id,
    subkey: 's',
    data,
    checksum: data.length, // any checksum: only bytes and counts are read here
  };
}

describe('syncline memory', () => {
  const deployment = `mem_${randomBytes(4).toString('hex')}`;
  const other = `mem_${randomBytes(4).toString('hex')}`;
  let state: DeploymentState;
  let otherState: DeploymentState;
  const env = { ...process.env };

  beforeAll(async () => {
    state = openDeploymentState(keyPrefixFor(deployment, '1'));
    otherState = openDeploymentState(keyPrefixFor(other, '1'));
    const big = 'x'.repeat(2000);
    await state.writer.addOps([
      ...Array.from({ length: 30 }, (_, i) => put('lists["big"]', BigInt(i + 1), `r${i}`, `{"v":"${big}"}`)),
      put('lists["small"]', 100n, 'a', '{"v":1}'),
      put('lists["small"]', 101n, 'b', '{"v":2}'),
    ]);
    await state.writer.putRows([{ table: 's.todos', pk: '"a"', opId: 100n, state: '{"v":1}' }]);
    await state.writer.writeLookups([
      { lookupKey: 'by_owner["u"]', rowKey: 'a', opId: 100n, parameters: '[["u"]]' },
    ]);
    await otherState.writer.addOps([put('lists["other"]', 1n, 'z', `{"v":"${big}${big}"}`)]);
    process.env.REDIS_URL = getTestStack().endpoints.redisUrl;
    delete process.env.SYNCLINE_RULES_VERSION;
  });

  afterAll(async () => {
    process.env = env;
    await state?.close();
    await otherState?.close();
  });

  it('reports the deployment by category and bucket, as JSON', async () => {
    const c = capture();
    expect(await main(['memory', '--deployment', deployment, '--json'], c.io)).toBe(0);
    const report = JSON.parse(c.out.join('\n')) as {
      prefix: string;
      bytes: number;
      ops: number;
      categories: Record<string, { bytes: number; keys: number }>;
      buckets: Array<{ bucket: string; bytes: number; ops: number }>;
    };
    expect(report.prefix).toBe(keyPrefixFor(deployment, '1'));
    expect(report.ops).toBe(32);
    expect(report.buckets.map((b) => [b.bucket, b.ops])).toEqual([
      ['lists["big"]', 30],
      ['lists["small"]', 2],
    ]);
    // 30 bodies of 2 kB each: the big bucket holds at least their text.
    expect(report.buckets[0]!.bytes).toBeGreaterThan(60_000);
    expect(report.categories.rows!.keys).toBe(1);
    expect(report.categories.lookups!.keys).toBe(2);
    expect(report.categories.buckets!.keys).toBe(7); // 2 buckets x (ops, body, meta) + the registry
    const sum = Object.values(report.categories).reduce((a, c) => a + c.bytes, 0);
    expect(sum).toBe(report.bytes);
  });

  it('prints the documented text lines, the top buckets only', async () => {
    const c = capture();
    expect(await main(['memory', '--deployment', deployment, '--top', '1'], c.io)).toBe(0);
    const lines = c.out.join('\n').split('\n');
    expect(lines[0]).toMatch(
      new RegExp(
        `^${keyPrefixFor(deployment, '1')}: [0-9.]+ [kM]?B in \\d+ keys, 32 ops stored \\(\\d+ B of bucket state per op\\)$`,
      ),
    );
    expect(lines.slice(1, 7).map((l) => l.trim().split(/\s+/)[0])).toEqual([
      'buckets',
      'rows',
      'lookups',
      'transactions',
      'write-checkpoints',
      'coordination',
    ]);
    expect(lines[7]).toBe('buckets by bytes (1 of 2):');
    expect(lines[8]).toMatch(/^\s+[0-9.]+ kB\s+30 ops {2}lists\["big"\]$/);
    expect(lines).toHaveLength(9);
  });

  it('says what is wrong without REDIS_URL, with a bad --top or an empty --deployment', async () => {
    const saved = process.env.REDIS_URL;
    delete process.env.REDIS_URL;
    const c = capture();
    expect(await main(['memory', '--deployment', deployment], c.io)).toBe(2);
    expect(c.err.join('\n')).toMatch(/REDIS_URL is not set/);
    process.env.REDIS_URL = saved;
    const d = capture();
    expect(await main(['memory', '--top', 'many'], d.io)).toBe(2);
    expect(d.err.join('\n')).toMatch(/--top must be a whole number/);
    const e = capture();
    expect(await main(['memory', '--deployment', ''], e.io)).toBe(2);
    expect(e.err.join('\n')).toMatch(/--deployment must be letters, digits/);
  });
});
