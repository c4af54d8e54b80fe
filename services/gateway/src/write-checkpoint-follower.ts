// One stream's write checkpoint, followed from checkpoint to checkpoint without a Redis read per
// checkpoint: a checkpoint that names the one it followed (`previousOpId`) as the last this
// stream knew carries every write checkpoint that changed in between. After a gap (the stream
// skipped a checkpoint, or one from an older evaluator names none) it reads the stored value
// again. Pure but for the injected read.
import type { Checkpoint } from '@syncline/bucket-store';
import { parseOpId } from '@syncline/protocol';

/** The client's write checkpoint that the checkpoint with this op id covers (null: none yet). */
export type WriteCheckpointRead = (checkpoint: bigint) => Promise<bigint | null>;

export class WriteCheckpointFollower {
  private known: { readonly at: bigint; readonly n: bigint | null } | null = null;

  constructor(
    private readonly userId: string,
    private readonly clientId: string,
    private readonly read: WriteCheckpointRead,
  ) {}

  async at(checkpoint: Checkpoint): Promise<bigint | null> {
    const at = parseOpId(checkpoint.lastOpId);
    const known = this.known;
    if (known !== null && at === known.at) return known.n;
    const previous = checkpoint.previousOpId == null ? null : parseOpId(checkpoint.previousOpId);
    let n: bigint | null;
    if (known !== null && previous === known.at) {
      n = known.n;
      for (const wc of checkpoint.writeCheckpoints)
        if (wc.userId === this.userId && wc.clientId === this.clientId && (n === null || BigInt(wc.n) > n))
          n = BigInt(wc.n);
    } else {
      n = await this.read(at);
    }
    this.known = { at, n };
    return n;
  }
}
