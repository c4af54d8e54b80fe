// Public surface of the test kit: the run's stack, unique names, Kafka and CDC helpers.
export { getTestStack, uniqueName, type TestStack } from './test-stack';
export { useShellStack } from './script-stack';
export { providerFor, externalEndpoints, EXTERNAL_VARS } from './providers';
export type { StackKind, StackProvider, ProvidedStack } from './provided-stack';
export { CONTAINER_IMAGES } from './containers';
export { testKafka, createTopic, readUntil, storedBatchesOf, type ReadRecord } from './kafka';
export { deleteKafkaStateOfRun, deleteKafkaStateNamed } from './kafka-cleanup';
export {
  startCapture,
  avroConnectWorker,
  avroRegistryUrl,
  type AvroConnectWorker,
  type CdcCapture,
  type CaptureOptions,
} from './cdc';
export { startTestConnectWorker, type TestConnectWorker } from './connect-worker';
export { startOwnStack, type OwnStack } from './own-stack';
export { privateStackEnv, freePrivateStackEnv, PRIVATE_PORT_VARS } from './private-stack';
export { localStackProvider } from './local-provider';
export { DebeziumRecordGenerator, ACCOUNTS, consumedMessage } from './debezium-records';
export { transactionRecord, TransactionTopicFeed, type TransactionMarkers } from './transaction-records';
export {
  parseProcStat,
  threadCpu,
  threadCpuSince,
  cpuByThreadGroup,
  type ProcStat,
  type ThreadCpu,
} from './proc-stat';
export { parseJavaThreadDump, javaThreadNames } from './jvm-threads';
export {
  ceilingTxPerSecond,
  coresAt,
  evaluatorsCeiling,
  evaluatorsFor,
  firstCap,
  type EvaluatorCosts,
  type SerialPoint,
} from './capacity-model';
export { waitFor } from './wait';
export { seededRandom } from './seeded-random';
export { startRedisCluster, type LocalRedisCluster } from './redis-cluster';
export {
  openDeploymentState,
  recordCheckpoints,
  followCheckpoints,
  syncTo,
  materialize,
  type DeploymentState,
  type MaterializedBucket,
} from './deployment';
export {
  evaluatorEnv,
  startEvaluatorProcess,
  writeRulesFile,
  type EvaluatorProcess,
} from './evaluator-process';
export { servedForm } from './served-form';
