// @syncline/service-runtime: what every Syncline service needs to run: a start-up that a stop
// can cut short (sleep, abortable, retry, StoppableRun), the probe server, config messages, and
// the bounded cache both services keep (Lru).
export { StoppedError, sleep, abortable } from './abort';
export { retry, type RetryLogger } from './retry';
export { StoppableRun } from './stoppable-run';
export { startProbeServer, type ProbeServer, type Probes } from './probes';
export { configErrorMessage, configIssueLine, type Environment } from './config-message';
export {
  compileSyncRulesFile,
  loadSyncRulesFile,
  RulesFileError,
  type CompiledRulesFile,
  type RulesFileDiagnostic,
} from './rules-file';
export { createRedisClient, redisReady, type RedisConnection } from './redis-client';
export {
  parseRedisTarget,
  hideRedisPassword,
  redisUrlSchema,
  RedisTargetError,
  type RedisTarget,
  type RedisNodeAddress,
} from './redis-target';
export {
  judgeRedisDurability,
  readRedisDurability,
  readRedisDurabilityOfEveryMaster,
  type RedisDurability,
  type DurabilityVerdict,
} from './redis-durability';
export { Lru } from './lru';
