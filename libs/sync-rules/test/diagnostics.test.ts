// Every error and warning the compiler reports, with its class, severity and YAML position.
import {
  BucketParameterError,
  compileSyncRules,
  ConfigStructureError,
  DangerousQueryWarning,
  ExpressionError,
  QueryShapeError,
  SqlSyntaxError,
  UnsupportedFeatureError,
  YamlSyntaxError,
  type SyncRulesDiagnostic,
} from '../src';

type Expected = [new (...args: never[]) => SyncRulesDiagnostic, 'error' | 'warning', number, number, RegExp];

/** A rules file with one data query on line 4 (the SQL starts at column 9). */
function dataQuery(sql: string, parameters = ''): string {
  return `bucket_definitions:\n  b:\n${parameters ? `    parameters: ${parameters}\n` : '    # no parameters\n'}    data:\n      - ${sql}\n`;
}

const cases: [string, string, Expected][] = [
  ['YAML syntax', 'bucket_definitions:\n  b: [unclosed\n', [YamlSyntaxError, 'error', 3, 1, /./]],
  [
    'missing top-level section',
    'config:\n  edition: 1\n',
    [ConfigStructureError, 'error', 1, 1, /'bucket_definitions' or 'streams' is required/],
  ],
  [
    'unknown top-level key',
    'bucket_definitions: {}\nbuckets: {}\n',
    [ConfigStructureError, 'error', 2, 1, /Unknown top-level key 'buckets'/],
  ],
  [
    'unknown definition key',
    'bucket_definitions:\n  b:\n    data: []\n    filter: x\n',
    [ConfigStructureError, 'error', 4, 5, /Unknown key 'filter'/],
  ],
  [
    'definition without data',
    'bucket_definitions:\n  b:\n    priority: 1\n',
    [ConfigStructureError, 'error', 2, 3, /has no 'data'/],
  ],
  [
    'bad priority',
    'bucket_definitions:\n  b:\n    priority: 9\n    data: []\n',
    [ConfigStructureError, 'error', 3, 15, /priority/],
  ],
  [
    'streams under edition 1',
    'streams:\n  s:\n    query: SELECT * FROM t\n',
    [UnsupportedFeatureError, 'error', 1, 1, /need 'config: edition: 3'/],
  ],
  [
    'bucket_definitions under edition 3',
    'config:\n  edition: 3\nbucket_definitions: {}\n',
    [ConfigStructureError, 'error', 3, 21, /not supported with edition 3/],
  ],
  [
    'unknown config key',
    'config:\n  colour: red\nbucket_definitions: {}\n',
    [ConfigStructureError, 'error', 2, 3, /Unknown config key 'colour'/],
  ],
  [
    'SQL syntax',
    dataQuery('SELECT id FROM t WHERE x ~~~ 1'),
    [SqlSyntaxError, 'error', 5, 36, /Syntax error/],
  ],
  [
    'missing id',
    dataQuery('SELECT name FROM t'),
    [QueryShapeError, 'error', 5, 9, /must return an "id" column/],
  ],
  [
    'join',
    dataQuery('SELECT t.id FROM t JOIN u ON t.a = u.a'),
    [QueryShapeError, 'error', 5, 28, /single table|Joins/],
  ],
  ['two tables', dataQuery('SELECT id FROM t, u'), [QueryShapeError, 'error', 5, 27, /single table/]],
  ['group by', dataQuery('SELECT id FROM t GROUP BY id'), [QueryShapeError, 'error', 5, 35, /GROUP BY/]],
  ['aggregate', dataQuery('SELECT id, count(*) AS n FROM t'), [ExpressionError, 'error', 5, 20, /Aggregate/]],
  [
    'unknown function',
    dataQuery('SELECT id, frob(x) AS y FROM t'),
    [ExpressionError, 'error', 5, 20, /Function 'frob' is not defined/],
  ],
  [
    'wrong argument count',
    dataQuery('SELECT id, upper(a, b) AS y FROM t'),
    [ExpressionError, 'error', 5, 20, /takes 1 argument/],
  ],
  [
    'unsupported operator',
    dataQuery("SELECT id FROM t WHERE a LIKE 'x%'"),
    [ExpressionError, 'error', 5, 32, /Operator not supported/],
  ],
  [
    'unaliased expression',
    dataQuery('SELECT id, a + 1 FROM t'),
    [ExpressionError, 'error', 5, 20, /needs an alias/],
  ],
  [
    'parameter not covered',
    dataQuery('SELECT id FROM t', 'SELECT request.user_id() AS u'),
    [BucketParameterError, 'error', 5, 9, /must cover all bucket parameters. Expected: \["u"\] Got: \[\]/],
  ],
  [
    'bucket parameters on both sides',
    dataQuery('SELECT id FROM t WHERE bucket.u = bucket.u', 'SELECT request.user_id() AS u'),
    [BucketParameterError, 'error', 5, 32, /both sides of = operator/],
  ],
  [
    'bucket parameter inside a function',
    dataQuery('SELECT id FROM t WHERE a = upper(bucket.u) AND b = bucket.u', 'SELECT request.user_id() AS u'),
    [BucketParameterError, 'error', 5, 42, /bucket.u can only be used/],
  ],
  [
    'unknown bucket parameter',
    dataQuery('SELECT id FROM t WHERE a = bucket.nope', 'SELECT request.user_id() AS u'),
    [BucketParameterError, 'error', 5, 36, /Unknown bucket parameter bucket.nope/],
  ],
  [
    'request value in a data query',
    dataQuery('SELECT id FROM t WHERE a = request.user_id()'),
    [ExpressionError, 'error', 5, 36, /only available in parameter queries/],
  ],
  [
    'client parameters without acceptance',
    dataQuery('SELECT id FROM t WHERE a = bucket.u', 'SELECT user_parameters.u AS u'),
    [DangerousQueryWarning, 'warning', 3, 24, /Potentially dangerous query/],
  ],
  [
    'static query reading a column',
    dataQuery('SELECT id FROM t WHERE a = bucket.u', 'SELECT owner AS u'),
    [ExpressionError, 'error', 3, 24, /no FROM table/],
  ],
  [
    'parameter query mixing row and request values',
    dataQuery(
      'SELECT id FROM t WHERE a = bucket.u',
      'SELECT id AS u FROM lists WHERE upper(owner) || request.user_id() = 1',
    ),
    [ExpressionError, 'error', 3, 49, /mixing row and request values/],
  ],
];

describe('diagnostics', () => {
  test.each(cases)('%s', (_name, yaml, [type, severity, line, column, message]) => {
    const { diagnostics } = compileSyncRules(yaml);
    const found = diagnostics.find((d) => d instanceof type && message.test(d.message));
    expect(found).toBeDefined();
    expect({ severity: found?.severity, line: found?.line, column: found?.column }).toEqual({
      severity,
      line,
      column,
    });
  });

  test('accept_potentially_dangerous_queries silences the warning', () => {
    const yaml = `bucket_definitions:\n  b:\n    accept_potentially_dangerous_queries: true\n    parameters: SELECT user_parameters.u AS u\n    data:\n      - SELECT id FROM t WHERE a = bucket.u\n`;
    expect(compileSyncRules(yaml).diagnostics).toEqual([]);
  });

  test('the !accept_potentially_dangerous_queries tag silences the warning for one query', () => {
    const yaml = `bucket_definitions:\n  b:\n    parameters: !accept_potentially_dangerous_queries SELECT request.parameters() ->> 'u' AS u\n    data:\n      - SELECT id FROM t WHERE a = bucket.u\n`;
    expect(compileSyncRules(yaml).diagnostics).toEqual([]);
  });

  test('warnings do not prevent compilation', () => {
    const result = compileSyncRules(
      dataQuery('SELECT id FROM t WHERE a = bucket.u', 'SELECT user_parameters.u AS u'),
    );
    expect(result.rules).toBeDefined();
    expect(result.diagnostics.map((d) => d.severity)).toEqual(['warning']);
  });

  test('errors carry message, severity and position', () => {
    const [d] = compileSyncRules(dataQuery('SELECT id, nope() AS x FROM t')).diagnostics;
    expect(d).toBeInstanceOf(Error);
    expect(d).toMatchObject({ severity: 'error', line: 5, column: 20, category: 'expression' });
  });
});

describe('positions inside SQL for every YAML scalar style', () => {
  const sql = 'SELECT id, nope(a) AS x FROM t';
  // The error is at `nope`, character 11 of the SQL text.
  test.each([
    ['plain', `      - ${sql}`, [5, 20]],
    ['single-quoted with doubled quotes', `      - 'SELECT id, ''s'' AS s, nope(a) AS x FROM t'`, [5, 33]],
    ['double-quoted with escapes', `      - "SELECT id,\\t${sql.slice(11)}"`, [5, 22]],
    ['literal block', `      - |\n        SELECT id,\n          ${sql.slice(11)}`, [7, 11]],
    ['folded block', `      - >\n        SELECT id,\n        ${sql.slice(11)}`, [7, 9]],
    ['multi-line plain', `      - SELECT id,\n        ${sql.slice(11)}`, [6, 9]],
    ['double-quoted', `      - ${JSON.stringify(sql)}`, [5, 21]],
  ])('%s', (_style, dataLines, [line, column]) => {
    const yaml = `bucket_definitions:\n  b:\n    # comment\n    data:\n${dataLines}\n`;
    const diagnostic = compileSyncRules(yaml).diagnostics.find((d) => /nope/.test(d.message));
    expect([diagnostic?.line, diagnostic?.column]).toEqual([line, column]);
  });
});
