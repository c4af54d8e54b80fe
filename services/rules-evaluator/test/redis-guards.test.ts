import { partitionsBehind, ResumeGuard } from '../src/redis-guards';

describe('ResumeGuard', () => {
  it('seeks back once per assignment when Redis holds a partition up to an earlier offset', async () => {
    const progress = new Map<string, bigint>([['t/0', 40n]]);
    const guard = new ResumeGuard(async (p) => progress.get(p) ?? null);
    expect(await guard.seekFor('t/0', 100n)).toBe(40n); // Redis lost offsets 40..99
    expect(await guard.seekFor('t/0', 40n)).toBeNull(); // checked: go on from there
    expect(await guard.seekFor('t/1', 7n)).toBeNull(); // never counted: Kafka's offset stands
    guard.clear();
    progress.set('t/0', 100n);
    expect(await guard.seekFor('t/0', 100n)).toBeNull();
    expect(await guard.seekFor('t/0', 90n)).toBeNull();
  });
});

describe('partitionsBehind', () => {
  // The group committed t/0@100, t/1@7, t/2@30, m/0@4, and nothing for t/3.
  const admin = {
    fetchOffsets: async ({ topics = [] }: { topics?: string[] }) =>
      [
        {
          topic: 't',
          partitions: [
            { partition: 0, offset: '100' },
            { partition: 1, offset: '7' },
            { partition: 2, offset: '30' },
            { partition: 3, offset: '-1' },
          ],
        },
        { topic: 'm', partitions: [{ partition: 0, offset: '4' }] },
      ].filter((t) => topics.includes(t.topic)) as never,
    fetchTopicOffsets: async (topic: string) =>
      [{ partition: 0, offset: '4', high: '4', low: topic === 'm' ? '1' : '0' }] as never,
  };
  const progress = new Map<string, bigint>([
    ['t/0', 40n], // Redis lost 40..99
    ['t/1', 7n], // up to date
    ['t/2', 35n], // Redis ahead (this instance's commit did not land): nothing to replay
  ]);
  const progressOf = async (p: string) => progress.get(p) ?? null;

  it('finds every assigned partition Redis holds below the committed offset, batch or no batch', async () => {
    const behind = await partitionsBehind(admin, 'g', { t: [0, 1, 2, 3], m: [0] }, progressOf);
    expect(behind).toEqual([
      { topic: 't', partition: 0, committed: 100n, resumeAt: 40n },
      // No progress at all for a partition the group committed: Redis lost all of it; from the log's start.
      { topic: 'm', partition: 0, committed: 4n, resumeAt: 1n },
    ]);
  });

  it('looks only at the partitions assigned to this member', async () => {
    expect(await partitionsBehind(admin, 'g', { t: [1, 2] }, progressOf)).toEqual([]);
    expect(await partitionsBehind(admin, 'g', {}, progressOf)).toEqual([]);
  });
});
