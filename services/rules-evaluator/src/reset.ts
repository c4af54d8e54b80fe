// `syncline evaluator --reset`: deletes this deployment+version's Redis state (its key prefix)
// and the consumer group's committed offsets, so the next start reprocesses from the beginning.
// Stop every evaluator of the deployment first: a live group member makes the reset fail.
import { Kafka, logLevel } from 'kafkajs';
import { RedisCoordination } from '@syncline/bucket-store';
import { SynclineError } from '@syncline/errors';
import { createRedisClient, redisReady } from '@syncline/service-runtime';
import type { EvaluatorConfig } from './config';

export class ResetError extends SynclineError {
  override readonly name = 'ResetError';
  readonly code = 'SYNC_E403';
}

const REDIS_WAIT_MS = 30_000;

export interface ResetOutcome {
  readonly keysDeleted: number;
  readonly groupDeleted: boolean;
}

export async function resetEvaluator(config: EvaluatorConfig): Promise<ResetOutcome> {
  const kafka = new Kafka({
    clientId: 'syncline-evaluator-reset',
    brokers: config.brokers,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  let groupDeleted = false;
  try {
    const groups = await admin.describeGroups([config.groupId]);
    const group = groups.groups[0];
    if (group && group.members.length > 0)
      throw new ResetError(
        `consumer group ${config.groupId} still has ${group.members.length} member(s): stop every evaluator first`,
      );
    const listed = await admin.listGroups();
    if (listed.groups.some((g) => g.groupId === config.groupId)) {
      await admin.deleteGroups([config.groupId]);
      groupDeleted = true;
    }
  } finally {
    await admin.disconnect();
  }
  const redis = createRedisClient(config.redisUrl, { warn: () => undefined });
  try {
    await redisReady(redis, AbortSignal.timeout(REDIS_WAIT_MS)).catch(() => {
      throw new ResetError(
        `Redis (REDIS_URL) did not answer within ${REDIS_WAIT_MS / 1000} s: nothing of it was deleted`,
      );
    });
    const keysDeleted = await new RedisCoordination(redis, config.keyPrefix).deleteAll();
    return { keysDeleted, groupDeleted };
  } finally {
    redis.disconnect();
  }
}
