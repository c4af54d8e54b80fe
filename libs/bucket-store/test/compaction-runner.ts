// Compacts one bucket in Redis step by step until the walk at a safe op id is done, reading the
// bucket again before every step (what a restarted worker does: its cursor is gone, and planning
// is idempotent). Run as a child process by the kill -9 test: argv REDIS_URL PREFIX BUCKET SAFE LIMIT.
import { Redis } from 'ioredis';
import { planCompaction, RedisBucketCompactor, type CompactionCursor } from '../src';

export async function compactInRedis(
  compactor: RedisBucketCompactor,
  bucket: string,
  safeOpId: bigint,
  limit: number,
  onStep: () => Promise<void> = async () => undefined,
): Promise<number> {
  let cursor: CompactionCursor | undefined;
  for (let steps = 1; ; steps++) {
    const ops = await compactor.opsUpTo(bucket, safeOpId);
    const plan = planCompaction(ops, { safeOpId, limit }, cursor);
    await compactor.apply(bucket, plan);
    await onStep();
    if (plan.next === null) return steps;
    cursor = plan.next;
  }
}

if (require.main === module) {
  const [url, prefix, bucket, safe, limit] = process.argv.slice(2);
  const redis = new Redis(url!);
  compactInRedis(
    new RedisBucketCompactor(redis, prefix!),
    bucket!,
    BigInt(safe!),
    Number(limit),
    async () => {
      process.stdout.write('step\n');
    },
  ).then(
    () => {
      redis.disconnect();
    },
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
}
