// Op ids: commit-ordered signed 64-bit ids derived from Debezium's one-partition transaction topic,
// so several evaluators can assign them without a shared sequence. See docs/consistency.md.
//
//   snapshot op:   start + 1 + sequence                              (start, base)
//   streaming op:  base + (endOffset - offsetOrigin) * 2^k + totalOrder,  base = start + snapshotCapacity
//
// Every generation owns [start + 1, ceiling); a newer generation starts above an older one's ids
// and caps it, so op ids never go backwards for a deployment.

/** Clients parse op ids as signed 64-bit: every op id must stay at or below this. */
export const MAX_OP_ID = 2n ** 63n - 1n;
/** k: bits for the event's total_order within its transaction (at most 4,194,303 events). */
export const DEFAULT_TOTAL_ORDER_BITS = 22;
/** Op ids reserved for the initial snapshot of a generation (about 1.1e12 rows). */
export const DEFAULT_SNAPSHOT_CAPACITY = 2n ** 40n;

export type OpIdErrorCode =
  | 'invalid-generation'
  | 'total-order-out-of-range'
  | 'offset-before-origin'
  | 'generation-exhausted'
  | 'snapshot-capacity-exceeded'
  | 'not-in-generation'
  | 'invalid-op-id';

/** An op id that cannot be formed within the layout's limits. Not retriable: needs an operator. */
export class OpIdRangeError extends Error {
  override readonly name = 'OpIdRangeError';
  constructor(
    readonly code: OpIdErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** One generation's op-id layout. Persist it: every evaluator must use the same values. */
export interface OpIdGeneration {
  /** Increases by one per generation (new transaction topic or new sync-rules version). */
  readonly generation: number;
  /** Op ids of this generation are > start. */
  readonly start: bigint;
  /** Ids (start, start + snapshotCapacity) are for snapshot ops; streaming ops start at base. */
  readonly snapshotCapacity: bigint;
  /** Transaction-topic offset that maps to 0 (the topic's first offset this generation reads). */
  readonly offsetOrigin: bigint;
  /** k: streaming op id = base + relative END offset * 2^k + total_order. */
  readonly totalOrderBits: number;
  /** Exclusive upper bound: MAX_OP_ID + 1 for the newest generation, the next start + 1 once superseded. */
  readonly ceiling: bigint;
}

export interface GenerationOptions {
  readonly totalOrderBits?: number;
  readonly snapshotCapacity?: bigint;
  readonly offsetOrigin?: bigint;
}

export function firstGeneration(options: GenerationOptions = {}): OpIdGeneration {
  return validateGeneration({
    generation: 0,
    start: 0n,
    snapshotCapacity: options.snapshotCapacity ?? DEFAULT_SNAPSHOT_CAPACITY,
    offsetOrigin: options.offsetOrigin ?? 0n,
    totalOrderBits: options.totalOrderBits ?? DEFAULT_TOTAL_ORDER_BITS,
    ceiling: MAX_OP_ID + 1n,
  });
}

/**
 * Starts a generation whose ids are all above `start`, and caps the current one at `start`
 * (its ids past it fail with 'generation-exhausted'). Choose `start` at or above every op id the
 * current generation has issued, plus headroom for what it issues until it stops.
 */
export function nextGeneration(
  current: OpIdGeneration,
  start: bigint,
  options: GenerationOptions = {},
): { readonly previous: OpIdGeneration; readonly next: OpIdGeneration } {
  if (start < streamBase(current) || start >= current.ceiling) {
    throw new OpIdRangeError(
      'invalid-generation',
      `generation ${current.generation + 1} must start within [${streamBase(current)}, ${current.ceiling}), not at ${start}`,
    );
  }
  const next = validateGeneration({
    generation: current.generation + 1,
    start,
    snapshotCapacity: options.snapshotCapacity ?? current.snapshotCapacity,
    offsetOrigin: options.offsetOrigin ?? 0n,
    totalOrderBits: options.totalOrderBits ?? current.totalOrderBits,
    ceiling: MAX_OP_ID + 1n,
  });
  return { previous: { ...current, ceiling: start + 1n }, next };
}

export function validateGeneration(g: OpIdGeneration): OpIdGeneration {
  const problem =
    !Number.isInteger(g.generation) || g.generation < 0
      ? 'generation must be a non-negative integer'
      : !Number.isInteger(g.totalOrderBits) || g.totalOrderBits < 1 || g.totalOrderBits > 40
        ? 'totalOrderBits must be an integer in 1..40'
        : g.start < 0n
          ? 'start must be >= 0'
          : g.snapshotCapacity < 2n
            ? 'snapshotCapacity must be >= 2'
            : g.offsetOrigin < 0n
              ? 'offsetOrigin must be >= 0'
              : g.ceiling > MAX_OP_ID + 1n
                ? 'ceiling must be <= 2^63'
                : streamBase(g) + (1n << BigInt(g.totalOrderBits)) > g.ceiling
                  ? 'the generation has no room for one transaction below its ceiling'
                  : null;
  if (problem !== null)
    throw new OpIdRangeError('invalid-generation', `op-id generation ${g.generation}: ${problem}`);
  return g;
}

/** The first streaming op id's floor: snapshot ops are below it, streaming ops above. */
export function streamBase(g: OpIdGeneration): bigint {
  return g.start + g.snapshotCapacity;
}

/** Largest total_order the layout can place (2^k - 1). */
export function maxTotalOrder(g: OpIdGeneration): bigint {
  return (1n << BigInt(g.totalOrderBits)) - 1n;
}

/** Op id of a streaming event: its transaction's END offset and its 1-based total_order. */
export function streamOpId(g: OpIdGeneration, endOffset: bigint, totalOrder: bigint | number): bigint {
  const order = BigInt(totalOrder);
  if (order < 1n || order > maxTotalOrder(g)) {
    throw new OpIdRangeError(
      'total-order-out-of-range',
      `total_order ${order} is outside 1..${maxTotalOrder(g)} (2^${g.totalOrderBits} - 1): the transaction has more ` +
        `events than the op-id layout allows; start a new generation with more totalOrderBits`,
    );
  }
  return transactionFloor(g, endOffset) + order;
}

/**
 * The op id just below a transaction's first event (its total_order 0, which no event has): above
 * every op of earlier transactions, below every op of this one. Rows an incremental snapshot reads
 * are placed here, in the transaction that closes their snapshot window (docs/consistency.md §3.1).
 */
export function windowOpId(g: OpIdGeneration, endOffset: bigint): bigint {
  return transactionFloor(g, endOffset);
}

/** Highest op id a transaction can have: the checkpoint op id once it is complete. */
export function transactionCheckpointOpId(g: OpIdGeneration, endOffset: bigint): bigint {
  return transactionFloor(g, endOffset) + maxTotalOrder(g);
}

function transactionFloor(g: OpIdGeneration, endOffset: bigint): bigint {
  if (endOffset < g.offsetOrigin) {
    throw new OpIdRangeError(
      'offset-before-origin',
      `END offset ${endOffset} is below generation ${g.generation}'s origin ${g.offsetOrigin}`,
    );
  }
  const floor = streamBase(g) + ((endOffset - g.offsetOrigin) << BigInt(g.totalOrderBits));
  if (floor + maxTotalOrder(g) >= g.ceiling) {
    throw new OpIdRangeError(
      'generation-exhausted',
      `END offset ${endOffset} maps past generation ${g.generation}'s ceiling ${g.ceiling}; start a new generation`,
    );
  }
  return floor;
}

/** Op id of the snapshot op with the given 0-based sequence number (an injective, replayable numbering). */
export function snapshotOpId(g: OpIdGeneration, sequence: bigint): bigint {
  if (sequence < 0n || sequence > g.snapshotCapacity - 2n) {
    throw new OpIdRangeError(
      'snapshot-capacity-exceeded',
      `snapshot sequence ${sequence} is outside 0..${g.snapshotCapacity - 2n} of generation ${g.generation}`,
    );
  }
  return g.start + 1n + sequence;
}

/** The checkpoint op id that covers the whole snapshot and no streaming op. */
export function snapshotCheckpointOpId(g: OpIdGeneration): bigint {
  return streamBase(g) - 1n;
}

export type OpIdOrigin =
  | { readonly kind: 'snapshot'; readonly sequence: bigint }
  | { readonly kind: 'stream'; readonly endOffset: bigint; readonly totalOrder: bigint }
  | { readonly kind: 'window'; readonly endOffset: bigint };

/** Inverse of snapshotOpId / streamOpId / windowOpId, for logs and checks. */
export function describeOpId(g: OpIdGeneration, opId: bigint): OpIdOrigin {
  if (opId <= g.start || opId >= g.ceiling) {
    throw new OpIdRangeError('not-in-generation', `op id ${opId} is outside generation ${g.generation}`);
  }
  const base = streamBase(g);
  if (opId < base) return { kind: 'snapshot', sequence: opId - g.start - 1n };
  const relative = opId - base;
  const totalOrder = relative & maxTotalOrder(g);
  const endOffset = (relative >> BigInt(g.totalOrderBits)) + g.offsetOrigin;
  return totalOrder === 0n ? { kind: 'window', endOffset } : { kind: 'stream', endOffset, totalOrder };
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** Op ids are decimal strings on the wire. */
export function formatOpId(opId: bigint): string {
  assertOpId(opId);
  return opId.toString();
}

export function parseOpId(text: string): bigint {
  if (!DECIMAL.test(text))
    throw new OpIdRangeError('invalid-op-id', `not a decimal op id: ${JSON.stringify(text)}`);
  const opId = BigInt(text);
  assertOpId(opId);
  return opId;
}

function assertOpId(opId: bigint): void {
  if (opId < 0n || opId > MAX_OP_ID)
    throw new OpIdRangeError('invalid-op-id', `op id ${opId} is outside 0..2^63-1`);
}

const MEMBER_WIDTH = 16;
const HEX_MEMBER = /^[0-9a-f]{16}/;

/**
 * Fixed-width sorted-set member for an op id: 16 lowercase hex digits, so lexicographic order
 * (ZRANGEBYLEX) is exact 64-bit order (sorted-set scores are doubles and lose ids past 2^53).
 * Members may carry a suffix after the 16 digits; decoding reads the prefix.
 */
export function encodeOpIdMember(opId: bigint): string {
  if (opId < 0n || opId >= 1n << 64n)
    throw new OpIdRangeError('invalid-op-id', `op id ${opId} does not fit 64 bits`);
  return opId.toString(16).padStart(MEMBER_WIDTH, '0');
}

export function decodeOpIdMember(member: string): bigint {
  const match = HEX_MEMBER.exec(member);
  if (match === null)
    throw new OpIdRangeError('invalid-op-id', `not an op-id member: ${JSON.stringify(member)}`);
  return BigInt(`0x${match[0]}`);
}

/** ZRANGEBYLEX bounds for members with op id in (after, upTo], suffixed or not. */
export function opIdLexRange(after: bigint, upTo: bigint): { readonly min: string; readonly max: string } {
  return { min: `[${encodeOpIdMember(after + 1n)}`, max: `(${encodeOpIdMember(upTo + 1n)}` };
}
