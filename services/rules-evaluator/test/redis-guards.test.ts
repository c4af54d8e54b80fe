import { ResumeGuard } from '../src/redis-guards';

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
