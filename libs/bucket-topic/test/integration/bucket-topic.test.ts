// Bucket topics on the real stack (Kafka 4.3, Apicurio 3.3): what the writer puts on the topic is
// what a consumer materializes, on one partition per bucket, on a compacted topic whose value
// schema is registered.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ConfigResourceTypes } from 'kafkajs';
import { SchemaRegistryClient } from '@confluentinc/schemaregistry';
import { repoRoot } from '@syncline/stack';
import { topicNamesFor } from '@syncline/kafka-topics';
import { getTestStack, testKafka, uniqueName } from '@syncline/test-kit';
import {
  BucketMaterializer,
  BucketTopicMismatchError,
  BucketTopicWriter,
  bucketPartition,
  readBucketTopic,
  type BucketOpRecord,
  type BucketTopicMessage,
} from '../../src';
import { put, remove } from '../ops';

const PARTITIONS = 4;
const BIG = (1n << 63n) - 100n; // op ids near the int64 limit must survive the trip exactly

/** Ops of several buckets in op-id order, covering update, remove, remove-then-put. */
function scenario(): BucketOpRecord[] {
  let id = BIG;
  const next = (): bigint => id++;
  const ops: BucketOpRecord[] = [];
  for (let u = 0; u < 6; u++) {
    const b = `by_user["u${u}"]`;
    ops.push(put(next(), b, 'a', { id: 'a', owner: `u${u}`, v: 1 }));
    ops.push(put(next(), b, 'b', { id: 'b', owner: `u${u}`, v: 1 }));
    ops.push(put(next(), b, 'c', { id: 'c', owner: `u${u}`, v: 1 }, 'lists'));
  }
  for (let u = 0; u < 6; u++) {
    const b = `by_user["u${u}"]`;
    ops.push(put(next(), b, 'a', { id: 'a', owner: `u${u}`, v: 2 })); // update
    ops.push(remove(next(), b, 'b')); // removed for good
    ops.push(remove(next(), b, 'c', 'lists'));
    ops.push(put(next(), b, 'c', { id: 'c', owner: `u${u}`, v: 3 }, 'lists')); // back again
  }
  ops.push(remove(next(), 'by_user["u5"]', 'a')); // u5 keeps only its list
  return ops;
}

function expectedRows(u: number): Array<{ objectType: string; objectId: string; data: string }> {
  const rows = [
    { objectType: 'lists', objectId: 'c', data: JSON.stringify({ id: 'c', owner: `u${u}`, v: 3 }) },
    { objectType: 'todos', objectId: 'a', data: JSON.stringify({ id: 'a', owner: `u${u}`, v: 2 }) },
  ];
  return u === 5 ? rows.slice(0, 1) : rows;
}

describe('bucket topic', () => {
  const { endpoints } = getTestStack();
  const kafka = testKafka(endpoints.kafkaBrokers);
  const config = (topic: string, partitions = PARTITIONS) => ({
    brokers: [...endpoints.kafkaBrokers],
    schemaRegistryUrl: endpoints.schemaRegistryUrl,
    topic,
    partitions,
  });

  it('writes ops that a consumer materializes exactly, one partition per bucket, on a compacted registered topic', async () => {
    const topic = topicNamesFor(uniqueName('bt')).buckets('r1');
    const ops = scenario();
    const writer = await BucketTopicWriter.open(config(topic), kafka);
    try {
      await writer.write(ops.slice(0, 10));
      await writer.write(ops.slice(10));
      // A crash replay: the evaluator writes the same ops again.
      await writer.write(ops.slice(5));
    } finally {
      await writer.close();
    }

    const seen: BucketTopicMessage[] = [];
    const materializer = await readBucketTopic({
      kafka,
      schemaRegistryUrl: endpoints.schemaRegistryUrl,
      topic,
      onMessage: (m) => seen.push(m),
    });

    for (let u = 0; u < 6; u++) {
      const rows = materializer
        .rows(`by_user["u${u}"]`)
        .map((r) => ({ objectType: r.objectType, objectId: r.objectId, data: r.data }));
      expect(rows).toEqual(expectedRows(u));
    }
    expect(materializer.buckets()).toHaveLength(6);
    expect(seen).toHaveLength(ops.length + ops.length - 5);
    expect(seen.map((m) => m.op?.opId).filter((id) => id === BIG + 5n)).toHaveLength(2);

    // One partition per bucket, the one the hash names, and the first pass in op-id order.
    const partitionsOf = new Map<string, Set<number>>();
    for (const m of seen) {
      const set = partitionsOf.get(m.key.bucket) ?? new Set<number>();
      set.add(m.partition);
      partitionsOf.set(m.key.bucket, set);
    }
    for (const [bucket, set] of partitionsOf) expect([...set]).toEqual([bucketPartition(bucket, PARTITIONS)]);
    expect(new Set([...partitionsOf.values()].map((s) => [...s][0])).size).toBeGreaterThan(1);
    for (let u = 0; u < 6; u++) {
      const b = `by_user["u${u}"]`;
      const written = ops.filter((o) => o.bucket === b).map((o) => o.opId);
      const read = seen.filter((m) => m.key.bucket === b).map((m) => m.op!.opId);
      expect(read.slice(0, written.length)).toEqual(written);
    }

    const admin = kafka.admin();
    await admin.connect();
    try {
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy'] }],
      });
      expect(described.resources[0]?.configEntries.map((e) => [e.configName, e.configValue])).toEqual([
        ['cleanup.policy', 'compact'],
      ]);
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(meta.topics[0]?.partitions).toHaveLength(PARTITIONS);
    } finally {
      await admin.disconnect();
    }

    const registry = new SchemaRegistryClient({ baseURLs: [endpoints.schemaRegistryUrl] });
    expect(await registry.getAllSubjects()).toContain(`${topic}-value`);
    const latest = await registry.getLatestSchemaMetadata(`${topic}-value`);
    expect(JSON.parse(latest.schema).name).toBe('BucketOp');
  });

  it('reopens an existing topic with the same schema id and refuses a different partition count', async () => {
    const topic = topicNamesFor(uniqueName('bt_reopen')).buckets('r1');
    const first = await BucketTopicWriter.open(config(topic), kafka);
    await first.close();
    const again = await BucketTopicWriter.open(config(topic), kafka);
    await again.close();
    expect(again.schemaId).toBe(first.schemaId);
    await expect(BucketTopicWriter.open(config(topic, PARTITIONS + 2), kafka)).rejects.toThrow(
      BucketTopicMismatchError,
    );
  });

  it('splits a write larger than the broker batch limit and keeps op order', async () => {
    const topic = topicNamesFor(uniqueName('bt_big')).buckets('r1');
    const filler = 'x'.repeat(1000);
    const ops = Array.from({ length: 2500 }, (_, i) =>
      put(BigInt(i + 1), 'global[]', `r${i % 1200}`, { i, filler }),
    );
    const writer = await BucketTopicWriter.open(config(topic, 2), kafka);
    try {
      await writer.write(ops);
    } finally {
      await writer.close();
    }
    const ids: bigint[] = [];
    const m = await readBucketTopic({
      kafka,
      schemaRegistryUrl: endpoints.schemaRegistryUrl,
      topic,
      materializer: BucketMaterializer.ofBuckets(['global[]']),
      onMessage: (msg) => ids.push(msg.op!.opId),
    });
    expect(ids).toEqual(ops.map((o) => o.opId));
    const rows = m.rows('global[]');
    expect(rows).toHaveLength(1200);
    expect(rows.find((r) => r.objectId === 'r5')?.data).toBe(JSON.stringify({ i: 2405, filler }));
  });

  it('the example consumer prints the materialized rows of one bucket as JSON lines', async () => {
    const topic = topicNamesFor(uniqueName('bt_example')).buckets('r1');
    const writer = await BucketTopicWriter.open(config(topic), kafka);
    try {
      await writer.write(scenario());
    } finally {
      await writer.close();
    }
    const root = repoRoot();
    const { stdout } = await promisify(execFile)(
      path.join(root, 'node_modules', '.bin', 'tsx'),
      [
        path.join(root, 'examples', 'bucket-consumer', 'consume.ts'),
        '--topic',
        topic,
        '--bucket',
        'by_user["u2"]',
      ],
      {
        cwd: root,
        env: {
          ...process.env,
          KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
          SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
        },
        timeout: 90000,
      },
    );
    const lines = stdout
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            object_type: string;
            object_id: string;
            subkey: string;
            op_id: string;
            data: unknown;
          },
      );
    expect(lines.map((l) => [l.object_type, l.object_id, l.subkey, l.data])).toEqual(
      expectedRows(2).map((r) => [
        r.objectType,
        r.objectId,
        `${r.objectType}/${r.objectId}`,
        JSON.parse(r.data),
      ]),
    );
    // The op id is printed exactly (it is above 2^53).
    const listPut = scenario().filter(
      (o) => o.bucket === 'by_user["u2"]' && o.objectType === 'lists' && o.op === 'PUT',
    );
    expect(lines[0]?.op_id).toBe(listPut[listPut.length - 1]!.opId.toString());
  });
});
