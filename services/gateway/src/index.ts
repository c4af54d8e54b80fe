// @syncline/gateway: authenticates PowerSync clients and streams each user's bucket deltas from
// the evaluator's checkpoints. `syncline gateway --rules FILE` runs runGateway.
export { runGateway } from './run';
export { Gateway } from './gateway';
export { loadGatewayConfig, GATEWAY_CONFIG_SCHEMA, GatewayConfigError, type GatewayConfig } from './config';
export { TokenVerifier, GatewayAuthError, type VerifiedToken } from './auth';
export { readPage, cutAtBytes } from './bucket-pages';
export { CheckpointState } from './checkpoint-state';
export { createGatewayMetrics, type GatewayMetrics } from './metrics';
