// Example consumer of a bucket topic (docs/bucket-topics.md): reads the topic from the beginning
// through the schema registry, materializes one bucket, and prints its rows as JSON lines once it
// has caught up with the end offsets the topic had at start.
//
//   npx tsx examples/bucket-consumer/consume.ts --topic syncline.buckets.<rules version> --bucket 'by_user["u1"]'
//
// Endpoints: KAFKA_BROKERS and SCHEMA_REGISTRY_URL (as `syncline stack env` prints them), else
// the local stack's defaults.
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { endpointsOf, loadStackConfig, repoRoot } from '@syncline/stack';
import { BucketMaterializer, readBucketTopic } from '@syncline/bucket-topic';

function endpoints(): { brokers: string[]; schemaRegistryUrl: string } {
  const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL } = process.env;
  if (KAFKA_BROKERS && SCHEMA_REGISTRY_URL) {
    return { brokers: KAFKA_BROKERS.split(','), schemaRegistryUrl: SCHEMA_REGISTRY_URL };
  }
  const e = endpointsOf(loadStackConfig(process.env, repoRoot()));
  return { brokers: [...e.kafkaBrokers], schemaRegistryUrl: e.schemaRegistryUrl };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      topic: { type: 'string' },
      bucket: { type: 'string' },
      'timeout-ms': { type: 'string', default: '60000' },
    },
  });
  if (!values.topic || !values.bucket) {
    throw new Error('usage: consume.ts --topic <bucket topic> --bucket <bucket name> [--timeout-ms 60000]');
  }
  const { brokers, schemaRegistryUrl } = endpoints();
  const kafka = new Kafka({ clientId: 'bucket-consumer-example', brokers, logLevel: logLevel.ERROR });

  let records = 0;
  const materializer = BucketMaterializer.ofBuckets([values.bucket]);
  await readBucketTopic({
    kafka,
    schemaRegistryUrl,
    topic: values.topic,
    materializer,
    timeoutMs: Number(values['timeout-ms']),
    onMessage: () => {
      records++;
    },
  });

  const rows = materializer.rows(values.bucket);
  for (const row of rows) {
    const line = {
      bucket: values.bucket,
      object_type: row.objectType,
      object_id: row.objectId,
      subkey: row.subkey,
      op_id: row.opId.toString(),
      data: JSON.parse(row.data) as unknown,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
  process.stderr.write(
    `${values.topic}: read ${records} records; bucket ${values.bucket} has ${rows.length} rows ` +
      `(last op ${materializer.lastOpId(values.bucket) ?? 'none'})\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bucket consumer failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
