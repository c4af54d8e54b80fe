// Where a committed transaction's time goes until a checkpoint covers it (docs/evaluator.md,
// "Latency breakdown"): Debezium (commit -> its END record in Kafka), the transaction topic (in
// Kafka -> read by this instance's transaction reader) and the evaluation (read -> the checkpoint
// covering it published), which splits into processing (read -> the coordinator's step finds all
// its events processed and counted) and publish (-> that checkpoint published); and the whole.
// Pure: the times come from the tracker and the coordinator.
import type { TrackedTransaction } from './transaction-tracker';

export type LatencyStage =
  'debezium' | 'transaction_topic' | 'processing' | 'publish' | 'evaluation' | 'total';

export const LATENCY_STAGES: readonly LatencyStage[] = [
  'debezium',
  'transaction_topic',
  'processing',
  'publish',
  'evaluation',
  'total',
];

/**
 * The seconds each stage took for `tx`, covered by a checkpoint published at `publishedAtMs`;
 * a stage whose two ends are not both known is left out. Clocks of different hosts (Postgres'
 * commit time, the broker's timestamp, this process) can disagree: a negative span counts as 0.
 */
export function latencyStages(
  tx: Pick<TrackedTransaction, 'commitTimeMs' | 'endInKafkaMs' | 'endReadMs' | 'completeSeenMs'>,
  publishedAtMs: number,
): Array<readonly [LatencyStage, number]> {
  const { commitTimeMs: commit, endInKafkaMs: inKafka, endReadMs: read, completeSeenMs: complete } = tx;
  const span = (from: number | null, to: number | null): number | null =>
    from === null || to === null ? null : Math.max(0, to - from) / 1000;
  const stages: Array<readonly [LatencyStage, number | null]> = [
    ['debezium', span(commit, inKafka)],
    ['transaction_topic', span(inKafka, read)],
    ['processing', span(read, complete)],
    ['publish', span(complete, publishedAtMs)],
    ['evaluation', span(read, publishedAtMs)],
    ['total', span(commit, publishedAtMs)],
  ];
  return stages.filter((s): s is readonly [LatencyStage, number] => s[1] !== null);
}
