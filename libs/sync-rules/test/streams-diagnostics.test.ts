// Edition 3 (sync streams): every accepted and rejected file shape, with class, severity and position.
import {
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

const HEADER = 'config:\n  edition: 3\n';

/** A stream `s` whose query is on line 5; the SQL starts at column 12. Options go on line 5 before it. */
function stream(sql: string, options = ''): string {
  return `${HEADER}streams:\n  s:\n${options}    query: ${sql}\n`;
}

const yamlCases: [string, string, Expected][] = [
  ['YAML syntax', `${HEADER}streams:\n  s: [unclosed\n`, [YamlSyntaxError, 'error', 5, 1, /./]],
  ['no streams', HEADER, [ConfigStructureError, 'error', 1, 1, /'streams' are required with edition 3/]],
  [
    'bucket_definitions under edition 3',
    `${stream('SELECT * FROM t')}bucket_definitions:\n  b:\n    data: []\n`,
    [ConfigStructureError, 'error', 7, 3, /'bucket_definitions' are not supported with edition 3/],
  ],
  ['streams not a map', `${HEADER}streams: [a]\n`, [ConfigStructureError, 'error', 3, 10, /must be a map/]],
  [
    'stream not a map',
    `${HEADER}streams:\n  s: SELECT 1\n`,
    [ConfigStructureError, 'error', 4, 6, /'s' must be a map/],
  ],
  [
    'unknown stream key',
    stream('SELECT * FROM t', '    colour: red\n'),
    [ConfigStructureError, 'error', 5, 5, /Unknown key 'colour' in stream 's'/],
  ],
  [
    'no query',
    `${HEADER}streams:\n  s:\n    auto_subscribe: true\n`,
    [ConfigStructureError, 'error', 5, 5, /exactly one of 'query' or 'queries'/],
  ],
  [
    'query and queries',
    stream('SELECT * FROM t', '    queries: [SELECT * FROM u]\n'),
    [ConfigStructureError, 'error', 5, 5, /exactly one of 'query' or 'queries'/],
  ],
  [
    'queries not a list',
    `${HEADER}streams:\n  s:\n    queries: SELECT * FROM t\n`,
    [ConfigStructureError, 'error', 5, 14, /'queries' must be a list/],
  ],
  [
    'query not a string',
    `${HEADER}streams:\n  s:\n    query: [1]\n`,
    [ConfigStructureError, 'error', 5, 12, /must be a SQL string/],
  ],
  [
    'bad priority',
    stream('SELECT * FROM t', '    priority: 7\n'),
    [ConfigStructureError, 'error', 5, 15, /'priority' must be an integer from 0 to 3/],
  ],
  [
    'auto_subscribe not a boolean',
    stream('SELECT * FROM t', "    auto_subscribe: 'yes'\n"),
    [ConfigStructureError, 'error', 5, 21, /'auto_subscribe' must be true or false/],
  ],
  [
    'accept_potentially_dangerous_queries not a boolean',
    stream('SELECT * FROM t', '    accept_potentially_dangerous_queries: 1\n'),
    [ConfigStructureError, 'error', 5, 43, /must be true or false/],
  ],
  [
    'unused global CTE',
    `${stream('SELECT * FROM t')}with:\n  x: SELECT id FROM u\n`,
    [ConfigStructureError, 'warning', 7, 3, /common table expression isn't referenced: 'x'/],
  ],
  [
    'unused stream CTE',
    stream('SELECT * FROM t', '    with:\n      x: SELECT id FROM u\n'),
    [ConfigStructureError, 'warning', 6, 7, /isn't referenced: 'x'/],
  ],
  [
    'with not a map',
    stream('SELECT * FROM t', '    with: [a]\n'),
    [ConfigStructureError, 'error', 5, 11, /'with' must be a map/],
  ],
  [
    'CTE with two columns used as IN name',
    stream('SELECT * FROM t WHERE a IN x', '    with:\n      x: SELECT a, b FROM u\n'),
    [QueryShapeError, 'error', 7, 39, /must return a single column to be used as IN x/],
  ],
  [
    'error inside a CTE, at its position',
    stream('SELECT * FROM t WHERE a IN x', '    with:\n      x: SELECT id FROM u WHERE frob(id)\n'),
    [ExpressionError, 'error', 6, 33, /Function 'frob' is not defined/],
  ],
  [
    'CTEs require edition 3',
    'bucket_definitions: {}\nwith:\n  x: SELECT 1\n',
    [ConfigStructureError, 'error', 2, 1, /require edition 3/],
  ],
  [
    'unknown top-level key',
    `${stream('SELECT * FROM t')}buckets: {}\n`,
    [ConfigStructureError, 'error', 6, 1, /Unknown top-level key 'buckets'/],
  ],
  [
    'edition 4',
    'config:\n  edition: 4\nstreams: {}\n',
    [ConfigStructureError, 'error', 2, 12, /'edition' must be 1, 2 or 3/],
  ],
  [
    'unstable_sqlite_expression_engine',
    `config:\n  edition: 3\n  unstable_sqlite_expression_engine: true\nstreams: {}\n`,
    [UnsupportedFeatureError, 'error', 3, 38, /unstable_sqlite_expression_engine/],
  ],
  [
    'unstable_sqlite_expression_engine before edition 3',
    `config:\n  unstable_sqlite_expression_engine: true\nbucket_definitions: {}\n`,
    [ConfigStructureError, 'error', 2, 38, /requires edition: 3/],
  ],
  [
    'with under edition 2',
    'config:\n  edition: 2\nbucket_definitions: {}\nwith:\n  x: SELECT 1\n',
    [ConfigStructureError, 'error', 4, 1, /require edition 3/],
  ],
];

const sqlCases: [string, string, Expected][] = [
  ['SQL syntax', stream('SELECT * FROM t WHERE ~~~'), [SqlSyntaxError, 'error', 5, 34, /Syntax error/]],
  ['not a SELECT', stream('DELETE FROM t'), [QueryShapeError, 'error', 5, 12, /Expected a SELECT statement/]],
  [
    'unqualified * with a join',
    stream('SELECT * FROM t JOIN u ON t.a = u.a'),
    [ExpressionError, 'error', 5, 19, /Invalid unqualified reference since multiple tables are in scope/],
  ],
  [
    'unqualified column with two tables',
    stream('SELECT t.* FROM t, u WHERE a = auth.user_id()'),
    [ExpressionError, 'error', 5, 39, /Invalid unqualified reference/],
  ],
  [
    'LEFT JOIN',
    stream('SELECT t.* FROM t LEFT JOIN u ON t.a = u.id'),
    [QueryShapeError, 'error', 5, 30, /LEFT JOIN is not supported; sync streams only support INNER JOIN/],
  ],
  [
    'USING',
    stream('SELECT t.* FROM t JOIN u USING (a)'),
    [QueryShapeError, 'error', 5, 30, /USING is not supported/],
  ],
  [
    'columns from two tables',
    stream('SELECT t.*, u.name FROM t JOIN u ON t.a = u.id'),
    [
      QueryShapeError,
      'error',
      5,
      24,
      /can only select from a single table, and this one already selects from table 't'/,
    ],
  ],
  [
    'aliased synced table in a join',
    stream('SELECT c.* FROM comments c JOIN issues i ON c.issue_id = i.id WHERE i.owner_id = auth.user_id()'),
    [QueryShapeError, 'warning', 5, 28, /synced under its alias 'c' instead of 'comments'/],
  ],
  [
    'the same name twice',
    stream('SELECT t.* FROM t JOIN t ON t.a = t.b'),
    [QueryShapeError, 'error', 5, 30, /used for two tables here/],
  ],
  [
    'selecting from json_each',
    stream("SELECT * FROM json_each(auth.parameter('x'))"),
    [QueryShapeError, 'error', 5, 19, /can only select from actual tables/],
  ],
  [
    'another table-valued function',
    stream('SELECT posts.* FROM posts, generate_series(1, 3) AS g'),
    [QueryShapeError, 'error', 5, 39, /Unknown table-valued function 'generate_series'/],
  ],
  [
    'json_each with two arguments',
    stream("SELECT posts.* FROM posts, json_each(posts.tags, '$.a') AS j"),
    [QueryShapeError, 'error', 5, 39, /json_each expects 1 argument/],
  ],
  [
    'json_each of a request value partitioned by another table',
    stream(
      "SELECT comments.* FROM comments, json_each(connection.parameter('items')), user_access WHERE comments.item_id = json_each.value AND user_access.item_id = json_each.value AND user_access.user_id = auth.user_id()",
    ),
    [QueryShapeError, 'error', 5, 45, /depends on request data and can't be partitioned/],
  ],
  [
    'GROUP BY',
    stream('SELECT * FROM t GROUP BY a'),
    [QueryShapeError, 'error', 5, 37, /GROUP BY is not supported/],
  ],
  ['LIMIT', stream('SELECT * FROM t LIMIT 1'), [QueryShapeError, 'error', 5, 34, /LIMIT is not supported/]],
  [
    'request.user_id() (bucket definitions syntax)',
    stream('SELECT * FROM t WHERE a = request.user_id()'),
    [ExpressionError, 'error', 5, 38, /request.user_id\(\) is not available in sync streams/],
  ],
  [
    'user_id() outside auth',
    stream('SELECT * FROM t WHERE a = subscription.user_id()'),
    [ExpressionError, 'error', 5, 38, /only available on auth/],
  ],
  [
    'unknown request function',
    stream('SELECT * FROM t WHERE a = auth.whatever()'),
    [ExpressionError, 'error', 5, 38, /Unknown request function 'auth.whatever'/],
  ],
  [
    'parameter() without a name',
    stream('SELECT * FROM t WHERE a = auth.parameter()'),
    [ExpressionError, 'error', 5, 38, /takes exactly one argument/],
  ],
  [
    'selecting a request value',
    stream('SELECT id, auth.user_id() AS u FROM t'),
    [ExpressionError, 'error', 5, 23, /attempts to sync a connection parameter/],
  ],
  [
    'subquery with two columns',
    stream('SELECT * FROM t WHERE a IN (SELECT x, y FROM u)'),
    [QueryShapeError, 'error', 5, 40, /Must return a single expression column/],
  ],
  [
    'subquery selecting *',
    stream('SELECT * FROM t WHERE a IN (SELECT * FROM u)'),
    [QueryShapeError, 'error', 5, 40, /Must return a single expression column/],
  ],
  [
    'NOT IN subquery',
    stream('SELECT * FROM t WHERE a NOT IN (SELECT x FROM u WHERE u.o = auth.user_id())'),
    [QueryShapeError, 'error', 5, 34, /negated subqueries are not supported/],
  ],
  [
    'NOT around a subquery',
    stream('SELECT * FROM t WHERE NOT (a IN (SELECT x FROM u WHERE u.o = auth.user_id()))'),
    [QueryShapeError, 'error', 5, 39, /negated subqueries are not supported/],
  ],
  [
    'negated parameter condition',
    stream('SELECT * FROM t WHERE NOT (owner = auth.user_id())'),
    [QueryShapeError, 'error', 5, 39, /cannot be negated/],
  ],
  [
    'row and request values in one expression',
    stream("SELECT * FROM t WHERE upper(owner) || auth.user_id() = 'x'"),
    [ExpressionError, 'error', 5, 50, /already references row data/],
  ],
  [
    'table not in FROM',
    stream('SELECT * FROM t WHERE x.a = 1'),
    [ExpressionError, 'error', 5, 34, /Table 'x' has not been added in a FROM clause here/],
  ],
  [
    '* in WHERE',
    stream('SELECT * FROM t WHERE t.* = 1'),
    [ExpressionError, 'error', 5, 34, /\* columns are not supported here/],
  ],
  [
    'too many OR variants',
    stream(
      `SELECT * FROM t WHERE ${Array.from({ length: 7 }, (_, i) => `(a${i} = auth.parameter('x') OR b${i} = auth.user_id())`).join(' AND ')}`,
    ),
    [QueryShapeError, 'error', 5, 35, /inner OR operators need to be moved up/],
  ],
  [
    'subscription parameter alone',
    stream("SELECT * FROM t WHERE a = subscription.parameter('a')"),
    [DangerousQueryWarning, 'warning', 5, 38, /unauthenticated parameter/],
  ],
  [
    'connection parameter alone',
    stream("SELECT * FROM t WHERE a = connection.parameter('a')"),
    [DangerousQueryWarning, 'warning', 5, 38, /unauthenticated parameter/],
  ],
  [
    'subscription parameter in a subquery',
    stream("SELECT * FROM t WHERE a IN (SELECT id FROM u WHERE u.k = subscription.parameter('k'))"),
    [DangerousQueryWarning, 'warning', 5, 69, /unauthenticated parameter/],
  ],
];

describe('edition 3 diagnostics', () => {
  test.each([...yamlCases, ...sqlCases])('%s', (_name, yaml, [type, severity, line, column, message]) => {
    const { diagnostics } = compileSyncRules(yaml);
    const found = diagnostics.find((d) => d instanceof type && message.test(d.message));
    expect(found).toBeDefined();
    expect({ severity: found?.severity, line: found?.line, column: found?.column }).toEqual({
      severity,
      line,
      column,
    });
  });

  test('an error in a negated term shared by several OR-variants is reported once', () => {
    const yaml = stream(
      "SELECT * FROM t WHERE NOT frob(a) AND (b = auth.user_id() OR c = auth.parameter('x'))",
    );
    expect(compileSyncRules(yaml).diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`)).toEqual([
      "5:38 Function 'frob' is not defined",
    ]);
  });

  test.each([
    ['a global stream', stream('SELECT * FROM t')],
    [
      'several queries',
      `${HEADER}streams:\n  s:\n    queries:\n      - SELECT * FROM t\n      - SELECT * FROM u\n`,
    ],
    [
      'every option',
      stream(
        'SELECT * FROM t',
        '    auto_subscribe: true\n    priority: 1\n    accept_potentially_dangerous_queries: false\n',
      ),
    ],
    ['auth.user_id()', stream('SELECT * FROM t WHERE owner = auth.user_id()')],
    ['auth.parameter()', stream("SELECT * FROM t WHERE org = auth.parameter('org')")],
    [
      'accepted subscription parameter',
      stream(
        "SELECT * FROM t WHERE a = subscription.parameter('a')",
        '    accept_potentially_dangerous_queries: true\n',
      ),
    ],
    [
      'subscription parameter narrowed by auth',
      stream("SELECT * FROM t WHERE a = subscription.parameter('a') AND b = auth.user_id()"),
    ],
    ['IN subquery', stream('SELECT * FROM t WHERE l IN (SELECT id FROM lists WHERE owner = auth.user_id())')],
    [
      'nested IN subquery',
      stream(
        'SELECT * FROM c WHERE t IN (SELECT id FROM t WHERE l IN (SELECT id FROM lists WHERE owner = auth.user_id()))',
      ),
    ],
    ['request array', stream("SELECT * FROM t WHERE id IN auth.parameter('ids')")],
    ['row array', stream('SELECT * FROM t WHERE auth.user_id() IN t.members')],
    ['OR of row and request', stream("SELECT * FROM t WHERE is_public OR auth.parameter('admin')")],
    [
      'NOT around NOT IN (SELECT ...)',
      stream('SELECT * FROM t WHERE NOT (a NOT IN (SELECT id FROM u WHERE owner = auth.user_id()))'),
    ],
    [
      'NOT IN (SELECT ...) inside a negated OR',
      stream(
        'SELECT * FROM t WHERE NOT (length(c) = 5 OR a NOT IN (SELECT id FROM u WHERE owner = auth.user_id()))',
      ),
    ],
    ['constant IN (SELECT ...)', stream("SELECT * FROM t WHERE 'x' IN (SELECT id FROM u WHERE is_admin)")],
    ['IN ARRAY[...]', stream("SELECT * FROM t WHERE state IN ARRAY['public', 'archived']")],
    ['constant IN a request array', stream("SELECT * FROM t WHERE 't' IN auth.parameter('tables')")],
    [
      'json_each over a row array in FROM',
      stream("SELECT posts.* FROM posts, json_each(posts.tags) AS j WHERE j.value = auth.parameter('tag')"),
    ],
    [
      'json_each over a request array in FROM',
      stream("SELECT users.* FROM users, json_each(auth.parameter('ids')) WHERE users.id = json_each.value"),
    ],
    [
      'IN (SELECT value FROM json_each(...))',
      stream(
        "SELECT * FROM projects WHERE id IN (SELECT value FROM json_each(auth.parameter('project_ids')))",
      ),
    ],
    [
      'correlated subquery',
      stream('SELECT * FROM t WHERE a IN (SELECT x FROM u WHERE u.tags = t.b AND u.owner = auth.user_id())'),
    ],
    [
      'stream CTE used as IN name',
      stream(
        'SELECT * FROM t WHERE a IN x',
        '    with:\n      x: SELECT id FROM u WHERE owner = auth.user_id()\n',
      ),
    ],
    [
      'global CTE used as IN name',
      `${stream('SELECT * FROM t WHERE a IN x')}with:\n  x: SELECT id FROM u WHERE owner = auth.user_id()\n`,
    ],
    [
      'CTE in a subquery FROM',
      stream(
        'SELECT * FROM t WHERE a IN (SELECT id FROM x)',
        '    with:\n      x: SELECT id FROM u WHERE owner = auth.user_id()\n',
      ),
    ],
    [
      'subquery in FROM of a subquery',
      stream(
        'SELECT * FROM t WHERE a IN (SELECT x FROM (SELECT x FROM u WHERE owner = auth.user_id()) AS s)',
      ),
    ],
    [
      'a join reaching one table through two paths',
      stream(
        'SELECT a.* FROM a, b, c WHERE a.id1 = b.id1 AND a.c1 = c.c1 AND b.c1 = c.c1 AND c.u = auth.user_id()',
      ),
    ],
    [
      'correlated subqueries reaching one table through two paths',
      stream(
        'SELECT * FROM t WHERE a IN (SELECT x FROM u WHERE u.k = t.b AND u.o = auth.user_id()) AND b IN (SELECT k FROM u2 WHERE u2.k = t.b)',
      ),
    ],
    [
      "'&&' with a subquery",
      stream('SELECT * FROM t WHERE tags && (SELECT id FROM u WHERE owner = auth.user_id())'),
    ],
    [
      'json_each subquery with WHERE',
      stream(
        "SELECT * FROM p WHERE id IN (SELECT j.value FROM json_each(auth.parameter('p')) AS j WHERE j.value > 1)",
      ),
    ],
    [
      'json_each value in another condition',
      stream('SELECT posts.* FROM posts, json_each(posts.tags) AS j WHERE j.value > 3'),
    ],
    ['INNER JOIN', stream('SELECT t.* FROM t JOIN u ON t.a = u.id WHERE u.owner = auth.user_id()')],
    ['tables joined in WHERE', stream('SELECT a.* FROM a, b WHERE a.c1 = b.c1 AND b.u = auth.user_id()')],
    [
      'quoted alias of the synced table in a join',
      stream(
        'SELECT "items".* FROM todos AS "items" JOIN lists l ON "items".list_id = l.id WHERE l.owner = auth.user_id()',
      ),
    ],
    [
      'a join inside a subquery',
      stream(
        'SELECT * FROM t WHERE g IN (SELECT m.g FROM m JOIN u ON m.u = u.id WHERE u.owner = auth.user_id())',
      ),
    ],
  ])('accepts %s without diagnostics', (_name, yaml) => {
    const result = compileSyncRules(yaml);
    expect(result.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`)).toEqual([]);
    expect(result.rules?.hasStreams).toBe(true);
  });
});
