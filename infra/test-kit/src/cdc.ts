// A private Debezium capture per test: its own Postgres schema, connector, topic prefix,
// replication slot and publication, removed again when the test ends.
import { Client } from 'pg';
import { topicNamesFor } from '@syncline/kafka-topics';
import {
  AVRO_CONVERTER_CLASS,
  loadConnectorConfig,
  registerConnector,
  removeConnector,
  repoRoot,
  type ChangeFormat,
  type ConnectorParams,
} from '@syncline/stack';
import { startTestConnectWorker } from './connect-worker';
import { deleteKafkaStateNamed } from './kafka-cleanup';
import { getTestStack, uniqueName } from './test-stack';

export interface CdcCapture {
  /** Topic prefix, Postgres schema, and the stem of the slot and publication names. */
  readonly name: string;
  readonly schema: string;
  readonly topicPrefix: string;
  /** How its connector writes records (`json` unless the capture asked for `avro`). */
  readonly changeFormat: ChangeFormat;
  /** `<prefix>.<schema>.<table>` */
  tableTopic(table: string): string;
  readonly transactionTopic: string;
  readonly messageTopic: string;
  /** A Postgres client connected to the stack's database with search_path set to the schema. */
  readonly pg: Client;
  close(): Promise<void>;
}

export interface CaptureOptions {
  readonly label: string;
  /** SQL run in the fresh schema before the connector starts (a filtered publication needs the tables). */
  readonly setupSql: string;
  readonly partitions?: number;
  readonly overrides?: Readonly<Record<string, string>>;
  /** The Connect worker to register the connector on (default: the stack's). */
  readonly connectUrl?: string;
  /**
   * A table of the capture's schema (created by `setupSql`) to make the connector's signal table
   * (`signal.data.collection`), so the test can start incremental snapshots by inserting into it.
   */
  readonly signalTable?: string;
  /**
   * `avro`: Apicurio AvroConverter into the stack's registry (connectUrl must name a worker that
   * has the converter plugin: see avroConnectWorker).
   */
  readonly changeFormat?: ChangeFormat;
  /** Called after `setupSql`, just before the connector is registered (a benchmark's start of the snapshot). */
  readonly onSetupDone?: () => void;
}

export async function startCapture(opts: CaptureOptions): Promise<CdcCapture> {
  const stack = getTestStack();
  const name = uniqueName(opts.label);
  const pg = new Client({ connectionString: stack.endpoints.pgUrl });
  await pg.connect();
  await pg.query(`CREATE SCHEMA ${name}`);
  await pg.query(`SET search_path TO ${name}`);
  await pg.query(opts.setupSql);
  opts.onSetupDone?.();
  const params: ConnectorParams = {
    name,
    pgUrl: stack.connectorPgUrl,
    topicPrefix: name,
    schemaIncludeList: [name],
    tablePartitions: opts.partitions ?? 4,
    slotName: `${name}_slot`,
    publicationName: `${name}_pub`,
    changeFormat: opts.changeFormat ?? 'json',
    avroRegistryUrl: avroRegistryUrl(),
    overrides: {
      'snapshot.mode': 'no_data',
      ...(opts.signalTable === undefined
        ? {}
        : { 'signal.enabled.channels': 'source', 'signal.data.collection': `${name}.${opts.signalTable}` }),
      ...(opts.overrides ?? {}),
    },
  };
  const connectUrl = opts.connectUrl ?? stack.endpoints.connectUrl;
  const close = async (): Promise<void> => {
    try {
      await removeConnector(connectUrl, { ...params, pgUrl: stack.endpoints.pgUrl });
      await pg.query(`DROP SCHEMA ${name} CASCADE`);
    } finally {
      await pg.end();
      // Its topics (Debezium's, an evaluator's bucket and dead-letter topics) and consumer groups
      // too: left behind, the shared stack's Kafka data grew to 50 GB over many runs and filled
      // the disk. After the connector is gone, so nothing writes them again.
      await deleteKafkaStateNamed(stack.endpoints.kafkaBrokers, name);
    }
  };
  try {
    await registerConnector(connectUrl, params, loadConnectorConfig(repoRoot(), params), 120000);
  } catch (error) {
    // No capture reaches the caller, so nothing else would remove what exists by now: a failed
    // connector, its replication slot (Postgres keeps WAL for it) and the schema.
    await close().catch(() => undefined);
    throw error;
  }
  const topics = topicNamesFor(name);
  return {
    name,
    schema: name,
    topicPrefix: name,
    changeFormat: opts.changeFormat ?? 'json',
    tableTopic: (table) => topics.change(`${name}.${table}`),
    transactionTopic: topics.transaction,
    messageTopic: topics.message,
    pg,
    close,
  };
}

/** The stack registry's Apicurio v2 API (where the Avro converters register and ids resolve). */
export function avroRegistryUrl(): string {
  return getTestStack().endpoints.schemaRegistryUrl.replace(/\/apis\/ccompat\/v\d+\/?$/, '/apis/registry/v2');
}

export interface AvroConnectWorker {
  readonly url: string;
  /** Stops the worker if this call started one. */
  stop(): Promise<void>;
}

/**
 * A Connect worker that has Apicurio's Avro converter: the stack's when its plugin path had the
 * converter at start (a stack started since the converter is provisioned), else one of the test's.
 */
export async function avroConnectWorker(label: string): Promise<AvroConnectWorker> {
  const stackUrl = getTestStack().endpoints.connectUrl;
  const res = await fetch(`${stackUrl}/connector-plugins?connectorsOnly=false`, {
    signal: AbortSignal.timeout(10000),
  });
  if ((await res.text()).includes(AVRO_CONVERTER_CLASS))
    return { url: stackUrl, stop: async () => undefined };
  const worker = await startTestConnectWorker(label);
  return { url: worker.url, stop: () => worker.stop() };
}
