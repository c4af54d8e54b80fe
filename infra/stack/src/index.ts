// Public surface of @syncline/stack: configuration, lifecycle and connector helpers.
export { loadStackConfig, endpointsOf, endpointsAsShellExports, stackEnvSchema } from './config';
export type { StackConfig, StackEndpoints } from './config';
export {
  stackUp,
  stackDown,
  stackStop,
  stackStatus,
  startExtraConnectWorker,
  defaultConnectorParams,
  ALL_NAMES,
} from './stack';
export type { UpReporter, UpResult, ComponentStatus, DownResult, ExtraConnectWorker } from './stack';
export type { ComponentName } from './component';
export {
  loadConnectorConfig,
  renderConnectorConfig,
  registerConnector,
  removeConnector,
  connectorStatus,
  CONNECTOR_TEMPLATE_VERSION,
  AVRO_CONVERTER_CLASS,
  avroConverterSettings,
} from './connector';
export type { ConnectorParams, ChangeFormat } from './connector';
export {
  StackError,
  PortInUseError,
  MissingToolError,
  DownloadError,
  ReadinessTimeoutError,
  StackConfigError,
  PostgresNotLogicalError,
  ConnectorFailedError,
} from './errors';
export { parseJavaMajor } from './java';
export { storedBatches, parseBatchLines, type StoredBatch } from './log-segments';
export { freePort, isPortFree, portHolder, type PortHolder } from './ports';
export { repoRoot } from './paths';
export { devJwtSecret } from './dev-secret';
export { serviceEnvOf } from './service-env';
