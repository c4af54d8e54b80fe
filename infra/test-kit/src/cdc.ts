// A private Debezium capture per test: its own Postgres schema, connector, topic prefix,
// replication slot and publication, removed again when the test ends.
import { Client } from 'pg';
import { topicNamesFor } from '@syncline/kafka-topics';
import {
  loadConnectorConfig,
  registerConnector,
  removeConnector,
  repoRoot,
  type ConnectorParams,
} from '@syncline/stack';
import { getTestStack, uniqueName } from './test-stack';

export interface CdcCapture {
  /** Topic prefix, Postgres schema, and the stem of the slot and publication names. */
  readonly name: string;
  readonly schema: string;
  readonly topicPrefix: string;
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
    overrides: {
      'snapshot.mode': 'no_data',
      ...(opts.signalTable === undefined
        ? {}
        : { 'signal.enabled.channels': 'source', 'signal.data.collection': `${name}.${opts.signalTable}` }),
      ...(opts.overrides ?? {}),
    },
  };
  const connectUrl = opts.connectUrl ?? stack.endpoints.connectUrl;
  await registerConnector(connectUrl, params, loadConnectorConfig(repoRoot(), params), 120000);
  const topics = topicNamesFor(name);
  return {
    name,
    schema: name,
    topicPrefix: name,
    tableTopic: (table) => topics.change(`${name}.${table}`),
    transactionTopic: topics.transaction,
    messageTopic: topics.message,
    pg,
    async close() {
      try {
        await removeConnector(connectUrl, { ...params, pgUrl: stack.endpoints.pgUrl });
        await pg.query(`DROP SCHEMA ${name} CASCADE`);
      } finally {
        await pg.end();
      }
    },
  };
}
