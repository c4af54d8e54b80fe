// Loads the records captured from Debezium 3.6.1.Final / Kafka 4.3.1 / Postgres 15 (see
// fixtures/*.txt for the raw capture lines) as the byte-level records a consumer receives.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KafkaRecord } from '../src';

interface FixtureRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

export type FixtureSet = 'schemas-disabled' | 'schemas-enabled';

export function loadRecords(set: FixtureSet): KafkaRecord[] {
  const file = JSON.parse(readFileSync(join(__dirname, 'fixtures', `${set}.json`), 'utf8')) as {
    records: FixtureRecord[];
  };
  return file.records.map((r) => ({
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    key: r.key === null ? null : Buffer.from(r.key, 'utf8'),
    value: r.value === null ? null : Buffer.from(r.value, 'utf8'),
    headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, Buffer.from(v, 'utf8')])),
  }));
}

export function findRecord(set: FixtureSet, topic: string, partition: number, offset: string): KafkaRecord {
  const found = loadRecords(set).find(
    (r) => r.topic === topic && r.partition === partition && r.offset === offset,
  );
  if (found === undefined) throw new Error(`no fixture record ${topic}/${partition}/${offset}`);
  return found;
}

/** Returns a copy of a captured record with its value text rewritten (for derived cases). */
export function withValue(record: KafkaRecord, rewrite: (value: string) => string): KafkaRecord {
  if (record.value === null) throw new Error('record has no value');
  return { ...record, value: Buffer.from(rewrite(Buffer.from(record.value).toString('utf8')), 'utf8') };
}
