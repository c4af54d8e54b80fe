// What the gateway's HTTP surface works with (app.ts and the sync-stream route).
import type { Logger } from 'pino';
import type { SyncRules } from '@syncline/sync-rules';
import type { TokenVerifier } from './auth';
import type { GatewayConfig } from './config';
import type { GatewayMetrics } from './metrics';
import type { SharedReads } from './shared-reads';
import type { WriteCheckpoints } from './write-checkpoints';

export interface GatewayDeps {
  readonly config: GatewayConfig;
  readonly rules: SyncRules;
  readonly verifier: TokenVerifier;
  readonly reads: SharedReads;
  readonly writeCheckpoints: WriteCheckpoints;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  /** Aborted when the gateway stops: open streams end. */
  readonly stopping: AbortSignal;
  readonly ready: () => boolean;
}
