// The chart's Debezium connector is the local stack's: files/debezium-postgres.json is a copy of
// infra/stack/config/debezium-postgres.json, and both connector modes render exactly what the
// stack's own renderer (loadConnectorConfig) makes of it for the same parameters.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConnectorConfig, type ConnectorParams } from '@syncline/stack';
import { CHART_DIR, ROOT, find, findHelm, itWhen, render } from './chart';
import { minimalValues } from './values';

const test = itWhen(findHelm() !== null, 'the connector rendering tests (helm)');

const template = fs.readFileSync(
  path.join(ROOT, 'infra', 'stack', 'config', 'debezium-postgres.json'),
  'utf8',
);
const params: ConnectorParams = {
  name: 'syncline-postgres',
  pgUrl: 'postgres://debezium:s3cret@db.internal:6543/app',
  topicPrefix: 'app-prod.v2',
  schemaIncludeList: ['public', 'billing'],
  tablePartitions: 8,
  slotName: 'app_slot',
  publicationName: 'app_publication',
  overrides: { 'snapshot.mode': 'no_data' },
};
const connector = (mode: string) => ({
  kafka: { topicPrefix: params.topicPrefix, changeTopicPartitions: params.tablePartitions },
  connector: {
    mode,
    name: params.name,
    database: { host: 'db.internal', port: 6543, user: 'debezium', dbname: 'app', password: 's3cret' },
    schemaIncludeList: params.schemaIncludeList,
    slotName: params.slotName,
    publicationName: params.publicationName,
    overrides: params.overrides,
    strimzi: { connectCluster: 'connect' },
    job: { connectUrl: 'http://connect:8083' },
  },
});

describe('the connector', () => {
  it("is the local stack's template, copied into the chart", () => {
    // If this fails: cp infra/stack/config/debezium-postgres.json infra/helm/syncline/files/
    expect(fs.readFileSync(path.join(CHART_DIR, 'files', 'debezium-postgres.json'), 'utf8')).toBe(template);
  });

  test("renders for the hook Job exactly the stack's config, the password left to the Job", () => {
    const m = render([minimalValues, connector('job')]);
    const data = find(m, 'ConfigMap', '-connector').data as Record<string, string>;
    const rendered = JSON.parse(data['connector.json']!) as Record<string, string>;
    expect(rendered['database.password']).toBe('${pgPassword}');
    rendered['database.password'] = 's3cret'; // what register-connector.mjs fills in from the Secret
    expect(rendered).toEqual(loadConnectorConfig(ROOT, params));
  });

  test("renders a Strimzi KafkaConnector with the stack's config, the password from the Secret", () => {
    const m = render([minimalValues, connector('strimzi')]);
    const spec = find(m, 'KafkaConnector').spec as {
      class: string;
      tasksMax: number;
      config: Record<string, string>;
    };
    const expected = loadConnectorConfig(ROOT, params);
    expect(spec.class).toBe(expected['connector.class']);
    expect(spec.tasksMax).toBe(Number(expected['tasks.max']));
    const { ['connector.class']: _c, ['tasks.max']: _t, ...config } = expected;
    expect(spec.config).toEqual({
      ...config,
      'database.password': '${secrets:sync/sl-syncline-connections:DEBEZIUM_DATABASE_PASSWORD}',
    });
  });
});
