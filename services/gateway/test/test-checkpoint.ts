// A published checkpoint at `lastOpId` for the gateway's unit tests (its END offset the same
// number, no LSN, no write checkpoints).
import type { Checkpoint } from '@syncline/bucket-store';

export const checkpoint = (lastOpId: number): Checkpoint => ({
  lastOpId: String(lastOpId),
  endOffset: String(lastOpId),
  lsn: null,
  commitTimeMs: null,
  publishedAtMs: Date.now(),
  writeCheckpoints: [],
});
