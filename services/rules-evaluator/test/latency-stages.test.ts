// The latency breakdown per covered transaction (docs/evaluator.md, "Latency breakdown"): the
// stages from the times the tracker and the coordinator know, and the coordinator observing them
// for every transaction a checkpoint it publishes covers.
import type { TransactionEnd } from '@syncline/cdc';
import { latencyStages } from '../src/latency-stages';
import { createMetrics } from '../src/metrics';
import { TransactionTracker } from '../src/transaction-tracker';
import { checkpointAt, coordinatorOver, SharedState } from './coordinator-fakes';
import { workload } from './workload';

describe('latency stages', () => {
  it.each([
    {
      why: 'every time known',
      tx: { commitTimeMs: 1000, endInKafkaMs: 1250, endReadMs: 1300, completeSeenMs: 1700 },
      published: 1800,
      stages: [
        ['debezium', 0.25],
        ['transaction_topic', 0.05],
        ['processing', 0.4],
        ['publish', 0.1],
        ['evaluation', 0.5],
        ['total', 0.8],
      ],
    },
    {
      why: 'a record without a timestamp: the stages around Kafka are left out',
      tx: { commitTimeMs: 1000, endInKafkaMs: null, endReadMs: 1300, completeSeenMs: 1350 },
      published: 1800,
      stages: [
        ['processing', 0.05],
        ['publish', 0.45],
        ['evaluation', 0.5],
        ['total', 0.8],
      ],
    },
    {
      why: 'clocks of different hosts disagree: a negative span is 0',
      tx: { commitTimeMs: 2000, endInKafkaMs: 1900, endReadMs: 1950, completeSeenMs: 2000 },
      published: 2100,
      stages: [
        ['debezium', 0],
        ['transaction_topic', 0.05],
        ['processing', 0.05],
        ['publish', 0.1],
        ['evaluation', 0.15],
        ['total', 0.1],
      ],
    },
    {
      why: 'not seen complete by a count of this leader: no split',
      tx: { commitTimeMs: 1000, endInKafkaMs: 1250, endReadMs: 1300, completeSeenMs: null },
      published: 1800,
      stages: [
        ['debezium', 0.25],
        ['transaction_topic', 0.05],
        ['evaluation', 0.5],
        ['total', 0.8],
      ],
    },
  ])('$why', ({ tx, published, stages }) => {
    expect(latencyStages(tx, published)).toEqual(stages);
  });

  it('keeps when an END reached Kafka and was read, and only the first delivery counts', () => {
    const t = new TransactionTracker();
    const end: TransactionEnd = {
      kind: 'end',
      position: { topic: 'p.transaction', partition: 0, offset: 0n },
      id: '7:100',
      xid: 7n,
      lsn: 100n,
      tsMs: 1000,
      eventCount: 1,
      dataCollections: [{ dataCollection: 's.t', eventCount: 1 }],
    };
    expect(t.addEnd(end, { inKafkaMs: 1100, readMs: 1200 })).toBe('added');
    const again = { ...end, position: { ...end.position, offset: 1n } };
    expect(t.addEnd(again, { inKafkaMs: 5000, readMs: 6000 })).toBe('duplicate');
    const [tx] = t.endsAfter(-1n, 10);
    expect(tx).toMatchObject({ commitTimeMs: 1000, endInKafkaMs: 1100, endReadMs: 1200 });
  });

  it('is observed by the coordinator for every transaction a published checkpoint covers', async () => {
    const { tx } = await workload();
    const ends = tx.tracker.endsAfter(-1n, 100).map((t) => t.endOffset!);
    const [first, second, third] = ends as [bigint, bigint, bigint];
    const state = new SharedState();
    state.checkpoint = checkpointAt(first);
    state.counts.set(second, 2);
    state.counts.set(third, 2);
    const metrics = createMetrics();
    const coordinator = coordinatorOver(state, tx, { metrics });
    await coordinator.holdLease();
    expect(await coordinator.advance()).toBe(true);
    expect(state.published.map((c) => c.endOffset)).toEqual([third.toString()]);
    const histogram = await metrics.transactionLatency.get();
    const counts = new Map(
      histogram.values
        .filter((v) => v.metricName === 'syncline_evaluator_transaction_latency_seconds_count')
        .map((v) => [v.labels.stage, v.value]),
    );
    // The two transactions after the stored checkpoint, each in every stage (the workload's
    // records carry a Kafka timestamp).
    expect(Object.fromEntries(counts)).toEqual({
      debezium: 2,
      transaction_topic: 2,
      processing: 2,
      publish: 2,
      evaluation: 2,
      total: 2,
    });
  });
});
