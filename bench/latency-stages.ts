// The evaluator's own latency breakdown (syncline_evaluator_transaction_latency_seconds, by
// stage), read from its /metrics text and interpolated in the histogram's buckets, optionally for
// the transactions covered between two scrapes only (a benchmark phase).
import { histogramBuckets, histogramQuantile } from './prometheus-histogram';

const METRIC = 'syncline_evaluator_transaction_latency_seconds';
const STAGES = ['debezium', 'transaction_topic', 'processing', 'publish', 'evaluation', 'total'] as const;

/** `after`'s buckets less `before`'s (same bounds, cumulative counts). */
function since(after: [number, number][], before: [number, number][]): [number, number][] {
  const earlier = new Map(before);
  return after.map(([le, count]) => [le, count - (earlier.get(le) ?? 0)]);
}

/** "per stage, as the evaluator measured it: debezium p50 … / p99 … ms; …" */
export function stageBreakdown(metrics: string, before = ''): string {
  const stages = STAGES.map((stage) => {
    const buckets = since(
      histogramBuckets(metrics, METRIC, { stage }),
      histogramBuckets(before, METRIC, { stage }),
    );
    const ms = (q: number): string => `${Math.round(histogramQuantile(buckets, q) * 1000)}`;
    return `${stage} p50 ${ms(0.5)} / p99 ${ms(0.99)} ms`;
  });
  return `per stage, as the evaluator measured it: ${stages.join('; ')}`;
}
