// Editions 1-2 behaviours matched to PowerSync's legacy engine: the data `id` keeping its type,
// `_table_suffix` of wildcard tables, bare bucket parameters as conditions, and the validation
// errors for several `IN` expansions and for a priority set twice. None depends on the edition.
import { stringifyJson } from '@syncline/lossless-json';
import type { SqliteRow } from '@syncline/sqlite-value';
import {
  BucketParameterError,
  compileSyncRules,
  createRequestContext,
  ExpressionError,
  QueryShapeError,
  type SyncRules,
  type SyncRulesDiagnostic,
} from '../src';
import { compileValid, streamsFile } from './helpers';

describe('the data id keeps its type; the object id is its text', () => {
  const rules = compileValid(`
bucket_definitions:
  star:
    data:
      - SELECT * FROM t
  columns:
    data:
      - SELECT id, name FROM u
  mixed:
    data:
      - SELECT *, upper(name) AS name FROM v
  cast:
    data:
      - SELECT CAST(id AS text) AS id FROM w
`);
  // [row id, data JSON, object id] for `*`, named columns, and `*` mixed with columns.
  test.each([
    ['an integer', 42n, '{"id":42,"name":"n"}', '42'],
    ['a 64-bit integer', 9007199254740993n, '{"id":9007199254740993,"name":"n"}', '9007199254740993'],
    ['a real', 2.5, '{"id":2.5,"name":"n"}', '2.5'],
    ['a whole real (printed as JavaScript does)', 3.0, '{"id":3,"name":"n"}', '3'],
    ['text', 'abc', '{"id":"abc","name":"n"}', 'abc'],
    ['NULL', null, '{"id":null,"name":"n"}', ''],
    ['a blob (dropped from the data)', new Uint8Array([1]), '{"name":"n"}', ''],
  ] as const)('%s', (_name, id, dataJson, objectId) => {
    const row: SqliteRow = { id, name: 'n' };
    for (const table of ['t', 'u']) {
      const [op] = rules.evaluateRow(table, row);
      expect([stringifyJson(op?.data), op?.id]).toEqual([dataJson, objectId]);
    }
    const [mixed] = rules.evaluateRow('v', row);
    expect([stringifyJson(mixed?.data), mixed?.id]).toEqual([dataJson.replace('"n"', '"N"'), objectId]);
  });

  test("a missing id is left out of the data and gives the object id ''", () => {
    const [op] = rules.evaluateRow('t', { name: 'n' });
    expect([op?.data, op?.id]).toEqual([{ name: 'n' }, '']);
  });

  test('CAST(id AS text) syncs a text id, as in PowerSync', () => {
    const [op] = rules.evaluateRow('w', { id: 42n });
    expect([op?.data, op?.id]).toEqual([{ id: '42' }, '42']);
  });
});

describe('`*` after other columns', () => {
  const row: SqliteRow = { id: 'a', name: 'x', b: new Uint8Array([1]) };
  // [columns, data JSON under editions 1-2, data JSON under edition 3]
  test.each([
    ['upper(name) AS name, *', '{"name":"X","id":"a"}', '{"name":"x","id":"a"}'],
    ['NULL AS name, *', '{"name":"x","id":"a"}', '{"name":"x","id":"a"}'],
    ['b AS name, *', '{"id":"a"}', '{"id":"a","name":"x"}'],
    ['*, upper(name) AS name', '{"id":"a","name":"X"}', '{"id":"a","name":"X"}'],
  ])('SELECT %s', (columns, legacy, stream) => {
    const legacyRules = compileValid(
      `bucket_definitions:\n  b:\n    data:\n      - SELECT ${columns} FROM t\n`,
    );
    expect(stringifyJson(legacyRules.evaluateRow('t', row)[0]?.data)).toBe(legacy);
    const streamRules = compileValid(
      streamsFile(`  s:\n    auto_subscribe: true\n    query: SELECT ${columns} FROM t\n`),
    );
    expect(stringifyJson(streamRules.evaluateRow('t', row)[0]?.data)).toBe(stream);
  });
});

/** `bucket | output table | object id | data JSON` of each op of the row, for table-driven cases. */
function opsOf(rules: SyncRules, table: string, row: SqliteRow): string[] {
  return rules
    .evaluateRow(table, row)
    .map((o) => `${o.bucket} | ${o.outputTable} | ${o.id} | ${stringifyJson(o.data)}`);
}

describe.each([1, 2] as const)('edition %i: wildcard tables and _table_suffix', (edition) => {
  const rules = compileValid(`config:
  edition: ${edition}
bucket_definitions:
  by_year:
    parameters: SELECT token_parameters.year AS year
    data:
      - SELECT *, _table_suffix AS year FROM "events_%" WHERE _table_suffix = bucket.year
      - SELECT id, _table_suffix AS suffix FROM "archive_%" AS archive WHERE archive._table_suffix = bucket.year
      - SELECT id FROM "logs_%" WHERE bucket.year = "logs_%"._table_suffix
      - SELECT id, _table_suffix AS suffix FROM plain WHERE year = bucket.year
`);
  const prefix = edition === 2 ? '1#' : '';
  // [name, table, row, ops as `bucket | output table | id | data JSON`], bucket names for edition 1.
  test.each([
    [
      'a wildcard table exposes the matched suffix as _table_suffix; * leaves it out',
      'events_2024',
      { id: 1n, title: 'x' },
      ['by_year["2024"] | events_2024 | 1 | {"id":1,"title":"x","year":"2024"}'],
    ],
    [
      'the suffix replaces a real _table_suffix column',
      'events_2024',
      { id: 2n, _table_suffix: '1999' },
      ['by_year["2024"] | events_2024 | 2 | {"id":2,"year":"2024"}'],
    ],
    [
      'an aliased wildcard reads the suffix through its alias and syncs as the alias',
      'public.archive_2023',
      { id: 'a1' },
      ['by_year["2023"] | archive | a1 | {"id":"a1","suffix":"2023"}'],
    ],
    [
      'the quoted pattern qualifies the suffix too',
      'logs_x',
      { id: 'l1' },
      ['by_year["x"] | logs_x | l1 | {"id":"l1"}'],
    ],
    [
      "a table named exactly the prefix has the suffix ''",
      'events_',
      { id: 3n },
      ['by_year[""] | events_ | 3 | {"id":3,"year":""}'],
    ],
    ['the wildcard prefix is literal: _ is not a LIKE placeholder', 'eventsX2024', { id: 4n }, []],
    ['another schema does not match', 'other.events_2024', { id: 5n }, []],
    [
      'a plain table has no suffix: _table_suffix is an ordinary (here missing) column',
      'plain',
      { id: 6n, year: 'y' },
      ['by_year["y"] | plain | 6 | {"id":6,"suffix":null}'],
    ],
  ] as [string, string, SqliteRow, string[]][])('%s', (_name, table, row, expected) => {
    expect(opsOf(rules, table, row)).toEqual(expected.map((e) => prefix + e));
  });

  test('a schema ending in % matches schemas by prefix (no suffix column: the table name is plain)', () => {
    const tenants = compileValid(
      'bucket_definitions:\n  b:\n    data:\n      - SELECT id, _table_suffix AS s FROM "tenant_%".todos\n',
    );
    expect(opsOf(tenants, 'tenant_a.todos', { id: 'x' })).toEqual(['b[] | todos | x | {"id":"x","s":null}']);
    expect(opsOf(tenants, 'todos', { id: 'x' })).toEqual([]);
    expect(opsOf(tenants, 'tenantXa.todos', { id: 'x' })).toEqual([]);
  });

  test('a % inside a name is not a wildcard (PowerSync only reads a trailing %)', () => {
    const inner = compileValid('bucket_definitions:\n  b:\n    data:\n      - SELECT id FROM "a%b"\n');
    expect(opsOf(inner, 'aXb', { id: 'x' })).toEqual([]);
    expect(opsOf(inner, 'a%b', { id: 'x' })).toEqual(['b[] | a%b | x | {"id":"x"}']);
  });
});

type Rejection = [new (...args: never[]) => SyncRulesDiagnostic, number, number, RegExp];

/** A definition `b` with an optional `priority`, its parameter query and one data query (line 7, column 9). */
function definition(parameters: string, data: string, edition: 1 | 2 = 1, priority = ''): string {
  return (
    `config:\n  edition: ${edition}\nbucket_definitions:\n  b:\n${priority}` +
    `    parameters: ${parameters}\n    data:\n      - ${data}\n`
  );
}

/** Compiles `yaml` and checks that it fails with this error (and severity 'error') at this position. */
function expectRejected(yaml: string, [type, line, column, message]: Rejection): void {
  const { rules, diagnostics } = compileSyncRules(yaml);
  const found = diagnostics.find((d) => d instanceof type && message.test(d.message));
  expect(found).toBeDefined();
  expect({ severity: found?.severity, line: found?.line, column: found?.column }).toEqual({
    severity: 'error',
    line,
    column,
  });
  expect(rules).toBeUndefined();
}

function diagnosticsOf(yaml: string): string[] {
  return compileSyncRules(yaml).diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`);
}

const AB = 'SELECT token_parameters.a AS a, token_parameters.b AS b';

describe('IN expansions and bare bucket parameters in the WHERE', () => {
  test.each<[string, string, Rejection]>([
    [
      'two bucket parameters expanded by IN (at the second IN)',
      definition(AB, 'SELECT id FROM t WHERE bucket.a IN x AND bucket.b IN y'),
      [BucketParameterError, 7, 50, /^Cannot have multiple IN expressions on bucket parameters$/],
    ],
    [
      'one bucket parameter in two INs',
      definition(AB, 'SELECT id FROM t WHERE bucket.a IN x AND b = bucket.b AND bucket.a IN y', 2),
      [BucketParameterError, 7, 67, /multiple IN expressions/],
    ],
    [
      'an IN under OR is still an expansion',
      definition(AB, 'SELECT id FROM t WHERE (bucket.a IN x OR bucket.a = c) AND bucket.b IN y'),
      [BucketParameterError, 7, 68, /multiple IN expressions/],
    ],
    [
      'two request values IN row arrays in a parameter query',
      definition(
        'SELECT id AS l FROM lists WHERE request.user_id() IN owners AND token_parameters.t IN teams',
        'SELECT id FROM t WHERE l = bucket.l',
      ),
      [ExpressionError, 5, 81, /^Cannot have multiple IN expressions on bucket parameters$/],
    ],
    [
      'two bare bucket parameters combined by AND',
      definition(AB, 'SELECT id FROM t WHERE bucket.a AND bucket.b'),
      [BucketParameterError, 7, 32, /cannot be combined with each other by AND\/OR/],
    ],
    [
      'a bare bucket parameter under NOT',
      definition(AB, 'SELECT id FROM t WHERE NOT bucket.a AND b = bucket.b'),
      [BucketParameterError, 7, 36, /bucket.a can only be used as .* or a condition of its own/],
    ],
  ])('rejects %s', (_name, yaml, rejection) => expectRejected(yaml, rejection));

  test.each([
    [
      'INs combined by OR',
      definition(
        AB,
        'SELECT id FROM t WHERE bucket.a IN x AND b = bucket.b OR bucket.a IN y AND bucket.b = c',
      ),
    ],
    ['one IN and equalities', definition(AB, 'SELECT id FROM t WHERE bucket.a IN x AND bucket.b = y')],
    ['a bare bucket parameter', definition(AB, 'SELECT id FROM t WHERE bucket.a AND b = bucket.b')],
    [
      'one row array per OR branch in a parameter query',
      definition(
        'SELECT id AS l FROM lists WHERE request.user_id() IN owners OR token_parameters.t IN teams',
        'SELECT id FROM t WHERE l = bucket.l',
      ),
    ],
  ])('accepts %s', (_name, yaml) => expect(diagnosticsOf(yaml)).toEqual([]));

  const rules = compileValid(`
bucket_definitions:
  flagged:
    parameters: SELECT request.user_id() AS user_id, token_parameters.admin AS admin
    data:
      - SELECT id FROM secrets WHERE bucket.admin AND owner = bucket.user_id
  any_flag:
    parameters: SELECT token_parameters.admin AS admin
    data:
      - SELECT id FROM notices WHERE bucket.admin OR level = bucket.admin
`);

  test.each([
    [
      'binds a bare bucket parameter to 1 (true)',
      'secrets',
      { id: 's1', owner: 'u1' },
      ['flagged["u1",1] | secrets | s1 | {"id":"s1"}'],
    ],
    [
      'takes a bare bucket parameter under OR as one branch',
      'notices',
      { id: 'n1', level: 0n },
      ['any_flag[1] | notices | n1 | {"id":"n1"}', 'any_flag[0] | notices | n1 | {"id":"n1"}'],
    ],
  ] as [string, string, SqliteRow, string[]][])('%s', (_name, table, row, expected) => {
    expect(opsOf(rules, table, row)).toEqual(expected);
  });

  test('a request reaches the bucket of its value; only the true (1) bucket holds rows', async () => {
    const bucketsOf = async (token: object) =>
      (await rules.resolveBuckets(createRequestContext(token, {}), async (l) => l.map(() => [])))
        .map((b) => b.bucket)
        .filter((b) => b.startsWith('flagged'));
    expect(await bucketsOf({ sub: 'u1', parameters: { admin: true } })).toEqual(['flagged["u1",1]']);
    expect(await bucketsOf({ sub: 'u1', parameters: { admin: false } })).toEqual(['flagged["u1",0]']);
  });
});

describe('a priority set once', () => {
  const data = 'SELECT id FROM t WHERE o = bucket.u';
  test.each<[string, string, Rejection]>([
    [
      'on the definition and as _priority in a static parameter query',
      definition('SELECT request.user_id() AS u, 0 AS _priority', data, 1, '    priority: 1\n'),
      [
        QueryShapeError,
        6,
        53,
        /^Cannot set priority multiple times: the bucket definition already has 'priority'$/,
      ],
    ],
    [
      'on the definition and as _priority in a table parameter query',
      definition(
        'SELECT owner AS u, _priority FROM lists WHERE owner = request.user_id()',
        data,
        2,
        '    priority: 0\n',
      ),
      [QueryShapeError, 6, 36, /Cannot set priority multiple times/],
    ],
    [
      'as two _priority columns of one query',
      definition('SELECT request.user_id() AS u, 0 AS _priority, 1 AS _priority', data),
      [QueryShapeError, 5, 69, /Cannot set priority multiple times: an earlier _priority column/],
    ],
    [
      'to a literal above 3',
      definition('SELECT request.user_id() AS u, 4 AS _priority', data),
      [QueryShapeError, 5, 48, /^Invalid value for priority, must be between 0 and 3 \(inclusive\)$/],
    ],
    [
      'to a negative literal in a json_each query',
      definition("SELECT value AS u, -1 AS _priority FROM json_each(request.jwt() -> 'us')", data),
      [QueryShapeError, 5, 36, /Invalid value for priority/],
    ],
  ])('rejects a priority set %s', (_name, yaml, rejection) => expectRejected(yaml, rejection));

  test.each([
    ['on the definition only', definition('SELECT request.user_id() AS u', data, 1, '    priority: 1\n')],
    ['by _priority only', definition('SELECT request.user_id() AS u, 1 AS _priority', data)],
    [
      'on the definition and by _priority in a json_each query (PowerSync does not check these)',
      definition(
        "SELECT value AS u, 0 AS _priority FROM json_each(request.jwt() -> 'us')",
        data,
        1,
        '    priority: 2\n',
      ),
    ],
  ])('accepts a priority set %s', (_name, yaml) => expect(diagnosticsOf(yaml)).toEqual([]));

  test('in a json_each query the _priority column wins over the definition', async () => {
    const rules = compileValid(
      definition(
        "SELECT value AS u, 0 AS _priority FROM json_each(request.jwt() -> 'us')",
        data,
        1,
        '    priority: 2\n',
      ),
    );
    const buckets = await rules.resolveBuckets(
      createRequestContext({ sub: 's', us: ['a'] }, {}),
      async () => [],
    );
    expect(buckets.map((b) => [b.bucket, b.priority])).toEqual([['b["a"]', 0]]);
  });
});
