// Runs bucket-membership.yaml: documented semantics written down as data, checked end to end.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { SqliteJsonRow, SqliteRow, SqliteValue } from '@syncline/sqlite-value';
import { compileSyncRules, createRequestContext, serializeParameterLookup } from '../../src';

interface RowCase {
  name: string;
  table: string;
  row: Record<string, unknown>;
  expect: string[];
  data?: Record<string, unknown>;
}
interface RequestCase {
  name: string;
  token: object;
  params?: object;
  tables?: Record<string, Record<string, unknown>[]>;
  expect: string[];
}

const file = parse(readFileSync(join(__dirname, 'bucket-membership.yaml'), 'utf8'), {
  intAsBigInt: true,
}) as {
  rules: string;
  rows: RowCase[];
  requests: RequestCase[];
};

/** YAML values -> SQLite values: booleans 1/0, integers bigint, floats real. */
function toRow(values: Record<string, unknown>): SqliteRow {
  const row: SqliteRow = {};
  for (const [key, value] of Object.entries(values)) {
    row[key] = typeof value === 'boolean' ? (value ? 1n : 0n) : (value as SqliteValue);
  }
  return row;
}

/** Token JSON as a client would send it: plain JSON numbers. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)));
}

const compiled = compileSyncRules(file.rules);

test('the conformance rules compile without diagnostics', () => {
  expect(compiled.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`)).toEqual([]);
});

describe('rows', () => {
  test.each(file.rows.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const ops = compiled.rules?.evaluateRow(c.table, toRow(c.row)) ?? [];
    expect(ops.map((o) => `${o.bucket} | ${o.outputTable} | ${o.id}`)).toEqual(c.expect);
    if (c.data) expect(ops[0]?.data).toEqual(c.data);
  });
});

describe('requests', () => {
  test.each(file.requests.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const rules = compiled.rules;
    if (!rules) throw new Error('rules did not compile');
    const index = new Map<string, SqliteJsonRow[]>();
    for (const [table, rows] of Object.entries(c.tables ?? {})) {
      for (const row of rows) {
        for (const entry of rules.evaluateParameterRow(table, toRow(row))) {
          const key = serializeParameterLookup(entry.lookup);
          index.set(key, [...(index.get(key) ?? []), entry.parameters]);
        }
      }
    }
    const buckets = await rules.resolveBuckets(
      createRequestContext(plain(c.token) as object, plain(c.params ?? {}) as object),
      async (lookups) => lookups.map((l) => index.get(serializeParameterLookup(l)) ?? []),
    );
    expect(buckets.map((b) => `${b.bucket} @${b.priority}`)).toEqual(c.expect);
  });
});
