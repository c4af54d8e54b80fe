// Renders the Debezium connector template for the docker-compose network into
// infra/compose/debezium-postgres.json:  npx tsx infra/compose/render-connector.ts
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConnectorConfig, repoRoot, type ConnectorParams } from '@syncline/stack';

export const composeConnectorParams: ConnectorParams = {
  name: 'syncline-postgres',
  pgUrl: 'postgres://postgres:syncline@postgres:5432/syncline',
  topicPrefix: 'syncline',
  schemaIncludeList: ['public'],
  tablePartitions: 4,
  slotName: 'syncline_slot',
  publicationName: 'syncline_publication',
};

export function renderComposeConnector(root: string): string {
  return JSON.stringify(loadConnectorConfig(root, composeConnectorParams), null, 2) + '\n';
}

if (require.main === module) {
  const root = repoRoot();
  fs.writeFileSync(
    path.join(root, 'infra', 'compose', 'debezium-postgres.json'),
    renderComposeConnector(root),
  );
}
