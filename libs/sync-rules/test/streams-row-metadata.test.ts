// Edition 3: the row metadata functions `t.schema()`, `t.table_name()` and `t.table_suffix()`, which
// PowerSync's streams have: in filters, partitions, lookups and synced columns; and their errors.
import type { SqliteRow } from '@syncline/sqlite-value';
import { compileSyncRules, createRequestContext, serializeParameterLookup } from '../src';
import { compileValid, lookupReader, streamsFile } from './helpers';

const RULES = streamsFile(`  by_schema:
    query: SELECT *, source.table_suffix() AS suffix FROM "users_%" source WHERE source.schema() = auth.parameter('schema')
  by_app_schema:
    query: SELECT *, "users_%".table_name() AS name FROM app."users_%" WHERE "users_%".schema() = auth.parameter('schema')
  eu_logs:
    query: SELECT l.* FROM "logs_%" l WHERE l.table_name() = 'logs_eu'
  regional:
    query: SELECT * FROM t WHERE k IN (SELECT id FROM "g_%" g WHERE g.table_suffix() = auth.parameter('region'))
`);

describe('row metadata functions', () => {
  test('compile without diagnostics', () => {
    expect(compileSyncRules(RULES).diagnostics.map((d) => d.message)).toEqual([]);
  });

  test.each<[string, string, SqliteRow, object[]]>([
    [
      'schema() partitions and table_suffix() is synced',
      'users_2024',
      { id: 'a' },
      [
        {
          bucket: '1#by_schema|0["public"]',
          outputTable: 'source',
          id: 'a',
          data: { id: 'a', suffix: '2024' },
        },
      ],
    ],
    [
      'another schema',
      'app.users_x',
      { id: 'b' },
      [
        {
          bucket: '1#by_app_schema|0["app"]',
          outputTable: 'users_x',
          id: 'b',
          data: { id: 'b', name: 'users_x' },
        },
      ],
    ],
    [
      'table_name() filters',
      'logs_eu',
      { id: 'c' },
      [{ bucket: '1#eu_logs|0[]', outputTable: 'l', id: 'c', data: { id: 'c' } }],
    ],
    ['table_name() filters out other tables', 'logs_us', { id: 'd' }, []],
  ])('%s', (_name, table, row, expected) => {
    expect(compileValid(RULES).evaluateRow(table, row)).toEqual(expected);
  });

  test('a lookup is keyed by the table suffix of its row', () => {
    const entries = compileValid(RULES).evaluateParameterRow('g_eu', { id: 'x' });
    expect(entries.map((e) => [serializeParameterLookup(e.lookup), e.parameters])).toEqual([
      ['lookup/0["eu"]', { '0': 'x' }],
    ]);
  });

  test('a request finds the rows of its region table', async () => {
    const rules = compileValid(RULES);
    const tables = { g_eu: [{ id: 'x' }], g_us: [{ id: 'y' }] };
    const { buckets, errors } = await rules.resolveStreamSubscriptions(
      createRequestContext({ sub: 'u', region: 'eu' }, {}),
      { includeDefaults: false, subscriptions: [{ stream: 'regional' }] },
      lookupReader(rules, tables),
    );
    expect(errors).toEqual([]);
    expect(buckets.map((b) => b.bucket)).toEqual(['1#regional|0["x"]']);
  });

  test.each<[string, string, 'error' | 'warning', number, string]>([
    [
      'arguments',
      "SELECT * FROM users WHERE users.schema('x') = 'a'",
      'error',
      27,
      'Expected no arguments here',
    ],
    [
      'table_suffix() of a table without a wildcard',
      "SELECT * FROM users WHERE users.table_suffix() = 's'",
      'warning',
      27,
      'table_suffix() is always empty because this table is not selected with a wildcard name',
    ],
    [
      'a qualifier not in FROM',
      "SELECT * FROM users WHERE other.schema() = 'a'",
      'error',
      27,
      "Table 'other' has not been added in a FROM clause here",
    ],
    [
      'a derived table',
      "SELECT users.* FROM users, (SELECT id FROM orgs) AS o WHERE o.schema() = 'a' AND users.org = o.id",
      'error',
      61,
      'schema() is not supported on subqueries',
    ],
    [
      'an unknown function',
      'SELECT * FROM users WHERE users.unknown() = 1',
      'error',
      27,
      "Function 'users.unknown' is not defined",
    ],
  ])('%s', (_name, sql, severity, column, message) => {
    const { diagnostics } = compileSyncRules(streamsFile(`  s:\n    query: ${sql}\n`));
    expect(diagnostics.map((d) => [d.severity, d.line, d.column, d.message])).toContainEqual([
      severity,
      5,
      column + 11,
      message,
    ]);
  });
});
