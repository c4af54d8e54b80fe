// The Debezium Postgres connector: rendering the versioned template, registering it with
// Kafka Connect, waiting until it streams, and removing it with its slot and publication.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { ConnectorFailedError, StackError } from './errors';
import { httpGet, waitUntil } from './readiness';

export const CONNECTOR_TEMPLATE_VERSION = 1;

/** How Debezium's change events are written: JsonConverter with inline schemas, or Apicurio Avro. */
export type ChangeFormat = 'json' | 'avro';

export const AVRO_CONVERTER_CLASS = 'io.apicurio.registry.utils.converter.AvroConverter';

export interface ConnectorParams {
  readonly name: string;
  readonly pgUrl: string;
  readonly topicPrefix: string;
  readonly schemaIncludeList: readonly string[];
  readonly tablePartitions: number;
  readonly slotName: string;
  readonly publicationName: string;
  /** Default `json` (the template's converters). */
  readonly changeFormat?: ChangeFormat;
  /** Apicurio Registry's v2 API (`http://host:port/apis/registry/v2`); required for `avro`. */
  readonly avroRegistryUrl?: string;
  /** Extra or replacing connector settings (e.g. `table.include.list`, `snapshot.mode`). */
  readonly overrides?: Readonly<Record<string, string>>;
}

/** The template's JsonConverter settings, replaced for `avro`. */
const JSON_CONVERTER_KEYS = [
  'key.converter',
  'key.converter.schemas.enable',
  'value.converter',
  'value.converter.schemas.enable',
  'value.converter.replace.null.with.default',
];

/**
 * Key and value converter settings for Avro through Apicurio Registry (docs/evaluator.md, "Avro or
 * JSON"). Ids go in the payload (magic byte 0 + 8-byte global id), not in headers, so a record
 * stands alone: a consumer that drops headers, or a copy of the topic, can still be decoded.
 */
export function avroConverterSettings(registryUrl: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const side of ['key', 'value']) {
    out[`${side}.converter`] = AVRO_CONVERTER_CLASS;
    out[`${side}.converter.apicurio.registry.url`] = registryUrl;
    out[`${side}.converter.apicurio.registry.auto-register`] = 'true';
    out[`${side}.converter.apicurio.registry.find-latest`] = 'true';
    out[`${side}.converter.apicurio.registry.headers.enabled`] = 'false';
  }
  return out;
}

function withChangeFormat(config: Record<string, string>, p: ConnectorParams): Record<string, string> {
  if ((p.changeFormat ?? 'json') === 'json') return config;
  if (p.avroRegistryUrl === undefined)
    throw new StackError(
      'the avro change format needs the registry URL (Apicurio v2 API) for the converters',
      'pass avroRegistryUrl, e.g. http://127.0.0.1:18081/apis/registry/v2',
    );
  const out = { ...config };
  for (const key of JSON_CONVERTER_KEYS) delete out[key];
  return { ...out, ...avroConverterSettings(p.avroRegistryUrl) };
}

export function templatePath(rootDir: string): string {
  return path.join(rootDir, 'infra', 'stack', 'config', 'debezium-postgres.json');
}

/** Fills the template; every placeholder must be known, so a typo cannot reach Connect. */
export function renderConnectorConfig(template: string, p: ConnectorParams): Record<string, string> {
  const url = new URL(p.pgUrl);
  const values: Record<string, string> = {
    pgHost: url.hostname,
    pgPort: url.port || '5432',
    pgUser: decodeURIComponent(url.username || 'postgres'),
    pgPassword: decodeURIComponent(url.password || 'unused'),
    pgDatabase: url.pathname.replace(/^\//, '') || 'postgres',
    topicPrefix: p.topicPrefix,
    topicPrefixRegex: p.topicPrefix.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&'),
    slotName: p.slotName,
    publicationName: p.publicationName,
    schemaIncludeList: p.schemaIncludeList.join(','),
    tablePartitions: String(p.tablePartitions),
  };
  const raw = JSON.parse(template) as Record<string, string>;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key.startsWith('$')) continue;
    out[key] = value.replace(/\$\{(\w+)\}/g, (_m, name: string) => {
      const v = values[name];
      if (v === undefined)
        throw new StackError(
          `unknown placeholder \${${name}} in the connector template`,
          'fix infra/stack/config/debezium-postgres.json',
        );
      return v;
    });
  }
  return { ...withChangeFormat(out, p), ...(p.overrides ?? {}) };
}

export function loadConnectorConfig(rootDir: string, p: ConnectorParams): Record<string, string> {
  return renderConnectorConfig(fs.readFileSync(templatePath(rootDir), 'utf8'), p);
}

interface ConnectorStatus {
  connector?: { state: string; trace?: string };
  tasks?: Array<{ id: number; state: string; trace?: string }>;
}

export async function connectorStatus(
  connectUrl: string,
  name: string,
): Promise<ConnectorStatus | undefined> {
  const res = await httpGet(`${connectUrl}/connectors/${encodeURIComponent(name)}/status`);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`GET status answered ${res.status}: ${res.body}`);
  return JSON.parse(res.body) as ConnectorStatus;
}

export async function connectorConfig(
  connectUrl: string,
  name: string,
): Promise<Record<string, string> | undefined> {
  const res = await httpGet(`${connectUrl}/connectors/${encodeURIComponent(name)}/config`);
  return res.status === 200 ? (JSON.parse(res.body) as Record<string, string>) : undefined;
}

export function isRunning(s: ConnectorStatus | undefined): boolean {
  return (
    s?.connector?.state === 'RUNNING' &&
    (s.tasks?.length ?? 0) > 0 &&
    s.tasks!.every((t) => t.state === 'RUNNING')
  );
}

/**
 * Creates or updates the connector (PUT is idempotent), then waits until the connector and
 * its task run and the replication slot is active, i.e. changes committed from now on are captured.
 */
export async function registerConnector(
  connectUrl: string,
  params: ConnectorParams,
  config: Record<string, string>,
  timeoutMs: number,
): Promise<void> {
  const res = await fetch(`${connectUrl}/connectors/${encodeURIComponent(params.name)}/config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(config),
    signal: AbortSignal.timeout(30000),
  });
  if (res.status !== 200 && res.status !== 201) {
    throw new ConnectorFailedError(
      `Kafka Connect rejected connector ${params.name} (${res.status}): ${await res.text()}`,
      'check the connector template and the Connect log',
    );
  }
  await waitUntil(
    async () => {
      const s = await connectorStatus(connectUrl, params.name);
      const failed = [s?.connector, ...(s?.tasks ?? [])].find((x) => x?.state === 'FAILED');
      if (failed) {
        throw new ConnectorFailedError(
          `connector ${params.name} FAILED: ${(failed.trace ?? '').split('\n').slice(0, 3).join(' ')}`,
          'see the Connect log; `syncline stack status` shows its path',
        );
      }
      return isRunning(s);
    },
    {
      what: `Debezium connector ${params.name}`,
      timeoutMs,
      isFatal: (err) => err instanceof ConnectorFailedError,
    },
  );
  await waitUntil(() => slotActive(params.pgUrl, params.slotName), {
    what: `replication slot ${params.slotName}`,
    timeoutMs,
  });
}

async function slotActive(pgUrl: string, slot: string): Promise<boolean> {
  const client = new Client({ connectionString: pgUrl, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ active: boolean }>(
      'SELECT active FROM pg_replication_slots WHERE slot_name = $1',
      [slot],
    );
    return rows[0]?.active === true;
  } finally {
    await client.end();
  }
}

/** Deletes the connector, then its slot (which would otherwise hold WAL forever) and publication. */
export async function removeConnector(
  connectUrl: string,
  params: Pick<ConnectorParams, 'name' | 'pgUrl' | 'slotName' | 'publicationName'>,
): Promise<void> {
  await fetch(`${connectUrl}/connectors/${encodeURIComponent(params.name)}`, {
    method: 'DELETE',
    signal: AbortSignal.timeout(30000),
  });
  const client = new Client({ connectionString: params.pgUrl, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    await waitUntil(
      async () =>
        !(
          await client.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active', [
            params.slotName,
          ])
        ).rowCount,
      {
        what: `slot ${params.slotName} to be released`,
        timeoutMs: 30000,
      },
    );
    await client.query(
      'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1',
      [params.slotName],
    );
    await client.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(params.publicationName)}`);
  } finally {
    await client.end();
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
