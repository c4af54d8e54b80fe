// The arithmetic of docs/capacity.md: what measured CPU per transaction implies for throughput.
// A serial point is work one thread does for every transaction (a Connect task, the leader's
// coordinator, one Redis): it caps the rate at one core over its cost, however many cores there
// are. Everything else divides over the cores it is given.

/** Work one thread does for every transaction, measured in CPU µs per transaction. */
export interface SerialPoint {
  readonly name: string;
  readonly microsPerTx: number;
}

/** Transactions per second `cores` cores sustain at `microsPerTx` CPU µs per transaction. */
export function ceilingTxPerSecond(microsPerTx: number, cores = 1): number {
  if (!(microsPerTx > 0)) throw new RangeError(`CPU per transaction must be positive, got ${microsPerTx}`);
  return (cores * 1e6) / microsPerTx;
}

/** Cores a rate keeps busy at `microsPerTx` CPU µs per transaction. */
export function coresAt(txPerSecond: number, microsPerTx: number): number {
  return (txPerSecond * microsPerTx) / 1e6;
}

/** The serial point with the lowest ceiling, and that ceiling. */
export function firstCap(points: readonly SerialPoint[]): {
  readonly point: SerialPoint;
  readonly txPerSecond: number;
} {
  if (points.length === 0) throw new RangeError('no serial points');
  const ranked = [...points].sort((a, b) => b.microsPerTx - a.microsPerTx);
  return { point: ranked[0]!, txPerSecond: ceilingTxPerSecond(ranked[0]!.microsPerTx) };
}

/** What one evaluator instance spends per transaction of the whole stream (CPU µs). */
export interface EvaluatorCosts {
  /** Reading the whole transaction topic: every instance, whatever its partitions. */
  readonly readMicrosPerTx: number;
  /** Processing the events (rules, Redis writes, marks): divided over the instances. */
  readonly processMicrosPerTx: number;
  /** The coordinator: the leader only. */
  readonly coordinateMicrosPerTx: number;
}

/**
 * The rate `n` evaluators, one core each and an even share of the partitions each, sustain: the
 * leader's core runs out first (it also coordinates), at one core over
 * read + coordinate + process / n.
 */
export function evaluatorsCeiling(n: number, costs: EvaluatorCosts): number {
  if (!(n >= 1)) throw new RangeError(`evaluators must be at least 1, got ${n}`);
  const leader = costs.readMicrosPerTx + costs.coordinateMicrosPerTx + costs.processMicrosPerTx / n;
  return ceilingTxPerSecond(leader);
}

/**
 * The fewest evaluators whose leader keeps up with `txPerSecond` (one core each, an even share of
 * the partitions each), or null when no number does: the leader's read and coordination alone
 * take its whole core.
 */
export function evaluatorsFor(txPerSecond: number, costs: EvaluatorCosts): number | null {
  const budget = 1e6 / txPerSecond - costs.readMicrosPerTx - costs.coordinateMicrosPerTx;
  if (budget <= 0) return null;
  return Math.max(1, Math.ceil(costs.processMicrosPerTx / budget));
}
