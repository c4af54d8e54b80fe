// @syncline/sync-client: a PowerSync-protocol client that checks every checksum and the protocol's
// rules, for tests and load generation (the official SDKs are what apps use).
export { ClientState, ProtocolViolation, type CompletedCheckpoint, type TargetBucket } from './client-state';
export { SyncClient, SyncStreamError, type SyncClientOptions } from './sync-client';
