import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderConnectorConfig, StackError, type ConnectorParams } from '../src/index';

const template = fs.readFileSync(path.join(__dirname, '..', 'config', 'debezium-postgres.json'), 'utf8');
const params: ConnectorParams = {
  name: 'c1',
  pgUrl: 'postgres://app:s%40cret@db.local:6543/appdb',
  topicPrefix: 'app-1',
  schemaIncludeList: ['public', 'sales'],
  tablePartitions: 6,
  slotName: 'app_slot',
  publicationName: 'app_pub',
};

describe('Debezium connector template', () => {
  const config = renderConnectorConfig(template, params);

  it('fills every placeholder from the parameters', () => {
    for (const [k, v] of Object.entries(config)) expect(`${k}=${v}`).not.toMatch(/\$\{/);
    expect(config['database.hostname']).toBe('db.local');
    expect(config['database.port']).toBe('6543');
    expect(config['database.user']).toBe('app');
    expect(config['database.password']).toBe('s@cret');
    expect(config['database.dbname']).toBe('appdb');
    expect(config['schema.include.list']).toBe('public,sales');
    expect(config['topic.creation.default.partitions']).toBe('6');
    // The transaction-topic group matches exactly `<prefix>.transaction`, regex-escaped.
    expect(new RegExp(`^${config['topic.creation.transactions.include']}$`).test('app-1.transaction')).toBe(
      true,
    );
    expect(new RegExp(`^${config['topic.creation.transactions.include']}$`).test('app-1Xtransaction')).toBe(
      false,
    );
    expect(config['topic.creation.transactions.partitions']).toBe('1');
  });

  it('carries the settings the consistency design depends on', () => {
    expect(config).toMatchObject({
      'plugin.name': 'pgoutput',
      'provide.transaction.metadata': 'true',
      'skipped.operations': 'none',
      'decimal.handling.mode': 'string',
      'time.precision.mode': 'isostring',
      'publication.autocreate.mode': 'filtered',
      'value.converter.schemas.enable': 'true',
      // Connect's source producer is not idempotent by default: a retried produce could store a
      // record twice (docs/consistency.md, section 2.1).
      'producer.override.enable.idempotence': 'true',
      'producer.override.acks': 'all',
      // Incremental snapshots checkpointed whole: the evaluator reads <prefix>.notifications
      // (SYNCLINE_NOTIFICATION_TOPIC's default; docs/consistency.md, section 3.1).
      'notification.enabled.channels': 'sink',
      'notification.sink.topic.name': 'app-1.notifications',
      'topic.creation.notifications.partitions': '1',
    });
    expect(config['topic.creation.groups']!.split(',')).toEqual(['transactions', 'notifications']);
    expect(
      new RegExp(`^${config['topic.creation.notifications.include']}$`).test('app-1.notifications'),
    ).toBe(true);
    expect(Number(config['heartbeat.interval.ms'])).toBeGreaterThan(0);
    expect(Object.keys(config).some((k) => k.startsWith('$'))).toBe(false);
  });

  it('lets overrides replace template values', () => {
    const c = renderConnectorConfig(template, { ...params, overrides: { 'snapshot.mode': 'no_data' } });
    expect(c['snapshot.mode']).toBe('no_data');
  });

  it('rejects a template with an unknown placeholder', () => {
    expect(() => renderConnectorConfig('{"a": "${nope}"}', params)).toThrow(StackError);
  });

  it('keeps the JSON converters of the template by default', () => {
    expect(config['value.converter']).toBe('org.apache.kafka.connect.json.JsonConverter');
    expect(renderConnectorConfig(template, { ...params, changeFormat: 'json' })).toEqual(config);
  });

  it('writes Apicurio Avro key and value converters for the avro change format', () => {
    const registry = 'http://registry:8080/apis/registry/v2';
    const c = renderConnectorConfig(template, { ...params, changeFormat: 'avro', avroRegistryUrl: registry });
    for (const side of ['key', 'value']) {
      expect(c[`${side}.converter`]).toBe('io.apicurio.registry.utils.converter.AvroConverter');
      expect(c[`${side}.converter.apicurio.registry.url`]).toBe(registry);
      expect(c[`${side}.converter.apicurio.registry.headers.enabled`]).toBe('false');
      expect(c[`${side}.converter.schemas.enable`]).toBeUndefined();
    }
    expect(c['value.converter.replace.null.with.default']).toBeUndefined();
    // Everything else is the JSON connector's.
    const rest = (x: Record<string, string>) =>
      Object.fromEntries(Object.entries(x).filter(([k]) => !/^(key|value)\.converter/.test(k)));
    expect(rest(c)).toEqual(rest(config));
  });

  it('refuses the avro change format without the registry URL', () => {
    expect(() => renderConnectorConfig(template, { ...params, changeFormat: 'avro' })).toThrow(
      /registry URL/,
    );
  });
});
