// Edition 3: common table expressions and subqueries used as tables (in FROM, in a JOIN, as the
// synced table, inside IN (SELECT ... FROM cte)), as PowerSync supports them: accepted and rejected
// files with positions, rows -> ops and lookups, and requests -> buckets.
import type { SqliteRow } from '@syncline/sqlite-value';
import {
  compileSyncRules,
  createRequestContext,
  ExpressionError,
  QueryShapeError,
  serializeParameterLookup,
  type SyncRulesDiagnostic,
} from '../src';
import { compileValid, lookupReader, streamsFile } from './helpers';

const WITH_ORGS = `with:\n  my_orgs: SELECT org_id FROM members WHERE user_id = auth.user_id()\n`;

/** A file with the global CTE `my_orgs` and one stream `s` whose query is on line 7 (SQL at column 12). */
function file(sql: string, options = ''): string {
  return `config:\n  edition: 3\n${WITH_ORGS}streams:\n  s:\n${options}    query: ${sql}\n`;
}

const EQUIVALENT = [
  ['IN name', 'SELECT * FROM notes WHERE org_id IN my_orgs'],
  ['JOIN on a CTE', 'SELECT notes.* FROM notes JOIN my_orgs ON my_orgs.org_id = notes.org_id'],
  ['CTE in FROM with an alias', 'SELECT notes.* FROM notes, my_orgs AS o WHERE notes.org_id = o.org_id'],
  ['IN (SELECT column FROM cte)', 'SELECT * FROM notes WHERE org_id IN (SELECT org_id FROM my_orgs)'],
  [
    'subquery in FROM',
    'SELECT notes.* FROM notes, (SELECT org_id FROM members WHERE user_id = auth.user_id()) AS m WHERE notes.org_id = m.org_id',
  ],
  [
    'subquery in FROM with column names',
    'SELECT notes.* FROM notes JOIN (SELECT org_id FROM members WHERE user_id = auth.user_id()) AS m (o) ON m.o = notes.org_id',
  ],
  [
    'subquery in FROM of an IN subquery',
    'SELECT * FROM notes WHERE org_id IN (SELECT m.org_id FROM (SELECT org_id, user_id FROM members) AS m WHERE m.user_id = auth.user_id())',
  ],
];

describe('derived tables plan like the IN subquery they stand for', () => {
  test.each(EQUIVALENT)('%s', async (_name, sql) => {
    const result = compileSyncRules(file(sql));
    const unused = /isn't referenced: 'my_orgs'/; // the cases written without the CTE
    const messages = result.diagnostics.map((d) => d.message).filter((m) => !unused.test(m));
    expect(messages).toEqual([]);
    const rules = compileValid(file(sql));
    expect(rules.evaluateRow('notes', { id: 'n1', org_id: 'o1' }).map((op) => op.bucket)).toEqual([
      '1#s|0["o1"]',
    ]);
    const entries = rules.evaluateParameterRow('members', { org_id: 'o1', user_id: 'u1' });
    expect(entries.map((e) => [serializeParameterLookup(e.lookup), e.parameters])).toEqual([
      ['lookup/0["u1"]', { '0': 'o1' }],
    ]);
    const tables = {
      members: [
        { org_id: 'o1', user_id: 'u1' },
        { org_id: 'o2', user_id: 'u1' },
        { org_id: 'o3', user_id: 'u2' },
      ],
    };
    const { buckets, errors } = await rules.resolveStreamSubscriptions(
      createRequestContext({ sub: 'u1' }, {}),
      { includeDefaults: false, subscriptions: [{ stream: 's' }] },
      lookupReader(rules, tables),
    );
    expect(errors).toEqual([]);
    expect(buckets.map((b) => b.bucket).sort()).toEqual(['1#s|0["o1"]', '1#s|0["o2"]']);
  });
});

describe('a derived table as the synced table', () => {
  test.each<[string, string, string, SqliteRow, object[]]>([
    [
      'SELECT * FROM cte: the CTE columns of its table, synced under the table name',
      'SELECT * FROM my_orgs_rows',
      'orgs',
      { id: 'o1', name: 'A', secret: 'x', owner: 'u1' },
      [{ bucket: '1#s|0["u1"]', outputTable: 'orgs', id: 'o1', data: { id: 'o1', name: 'A' } }],
    ],
    [
      'SELECT * FROM (subquery) AS q (names)',
      'SELECT * FROM (SELECT id, name FROM orgs WHERE owner = auth.user_id()) AS q (id, title)',
      'orgs',
      { id: 'o1', name: 'A', owner: 'u1' },
      [{ bucket: '1#s|0["u1"]', outputTable: 'orgs', id: 'o1', data: { id: 'o1', title: 'A' } }],
    ],
    [
      'q.column AS alias',
      'SELECT q.id, q.name AS label FROM (SELECT id, name FROM orgs WHERE owner = auth.user_id()) AS q',
      'orgs',
      { id: 'o1', name: 'A', owner: 'u1' },
      [{ bucket: '1#s|0["u1"]', outputTable: 'orgs', id: 'o1', data: { id: 'o1', label: 'A' } }],
    ],
    [
      'a row the CTE filters out',
      'SELECT * FROM my_orgs_rows',
      'orgs',
      { id: 'o1', name: 'A', owner: null },
      [],
    ],
  ])('%s', (_name, sql, table, row, expected) => {
    const options = '    with:\n      my_orgs_rows: SELECT id, name FROM orgs WHERE owner = auth.user_id()\n';
    const yaml = file(sql, options).replace(WITH_ORGS, '');
    const rules = compileValid(yaml);
    expect(rules.evaluateRow(table, row)).toEqual(expected);
  });
});

describe('derived table diagnostics', () => {
  test.each<
    [
      string,
      string,
      [new (...args: never[]) => SyncRulesDiagnostic, 'error' | 'warning', number, number, RegExp],
    ]
  >([
    [
      'an inlined expression column that reads a second table, at the reference',
      file(
        'SELECT notes.* FROM notes, o WHERE notes.org_id = upper(o.lo) AND notes.x || upper(o.lo) = auth.user_id()',
        '    with:\n      o: SELECT lower(org_id) AS lo FROM members WHERE user_id = auth.user_id()\n',
      ),
      [ExpressionError, 'error', 9, 95, /already references 'notes'/],
    ],
    [
      '* in a subquery in FROM',
      file('SELECT notes.* FROM notes, (SELECT * FROM members) AS m WHERE notes.org_id = m.org_id'),
      [QueryShapeError, 'error', 7, 47, /\* columns are not allowed in subqueries/],
    ],
    [
      'column names that do not match the columns',
      file('SELECT * FROM (SELECT id FROM members) AS m (a, b)'),
      [QueryShapeError, 'error', 7, 26, /Expected this subquery to have 2 columns, it actually has 1/],
    ],
    [
      'two columns of one name',
      file('SELECT * FROM (SELECT id, org_id AS id FROM members) AS m'),
      [QueryShapeError, 'error', 7, 38, /There is a column named 'id' already/],
    ],
    [
      'a column the derived table does not have',
      file('SELECT notes.* FROM notes JOIN my_orgs ON my_orgs.id = notes.org_id'),
      [ExpressionError, 'error', 7, 54, /'my_orgs' has no column named 'id'/],
    ],
    [
      'synced columns of two tables of a derived table',
      file('SELECT * FROM (SELECT m.id, o.name FROM members m, orgs o WHERE m.org_id = o.id) AS q'),
      [QueryShapeError, 'error', 7, 19, /The columns of 'q' read several tables/],
    ],
    [
      'a name used twice in FROM',
      file('SELECT notes.* FROM notes, my_orgs AS notes'),
      [QueryShapeError, 'error', 7, 39, /The name 'notes' is used for two tables here/],
    ],
    [
      'an expression column of a subquery without a name',
      file('SELECT * FROM (SELECT id, upper(name) FROM orgs) AS q'),
      [ExpressionError, 'warning', 7, 38, /The name of this column is unspecified, consider adding an alias/],
    ],
  ])('%s', (_name, yaml, [type, severity, line, column, message]) => {
    const { diagnostics } = compileSyncRules(yaml);
    const found = diagnostics.find((d) => d instanceof type && message.test(d.message));
    expect(diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`)).toContainEqual(
      expect.stringMatching(message),
    );
    expect({ severity: found?.severity, line: found?.line, column: found?.column }).toEqual({
      severity,
      line,
      column,
    });
  });

  test('a CTE used only in FROM counts as used', () => {
    const { diagnostics } = compileSyncRules(
      streamsFile(
        '  s:\n    with:\n      x: SELECT org_id FROM members WHERE user_id = auth.user_id()\n    query: SELECT notes.* FROM notes JOIN x ON x.org_id = notes.org_id\n',
      ),
    );
    expect(diagnostics).toEqual([]);
  });
});

describe("PowerSync's CTE examples", () => {
  test.each<[string, string, string[]]>([
    [
      'a CTE as the synced table, with a subquery of its own',
      `  s:
    auto_subscribe: true
    with:
      org_of_user: |
        SELECT id, name FROM organisations
          WHERE id IN (SELECT org_id FROM org_memberships WHERE user_id = auth.user_id())
    query: SELECT * FROM org_of_user
`,
      ['1#s|0["o1"]'],
    ],
    [
      'a CTE referenced twice',
      `  s:
    auto_subscribe: true
    accept_potentially_dangerous_queries: true
    with:
      mine: SELECT org_id FROM org_memberships WHERE user_id = auth.user_id()
    query: SELECT * FROM organisations WHERE id IN mine AND id IN (SELECT id FROM organisations WHERE id IN mine)
`,
      ['1#s|0["o1"]'],
    ],
    [
      'quoted names through an aliased CTE',
      `  s:
    auto_subscribe: true
    with:
      user_items_param: SELECT "orgId" FROM "OrgMember" WHERE "userId" = auth.user_id()
    query: SELECT "Project".* FROM "Project", user_items_param AS bucket WHERE "Project"."orgId" = bucket."orgId"
`,
      ['1#s|0["o1"]'],
    ],
    [
      'existence in two CTEs: one bucket, two ways to reach it',
      `  s:
    auto_subscribe: true
    accept_potentially_dangerous_queries: true
    with:
      global_perms: SELECT perm FROM global_permissions WHERE "user" = auth.user_id()
      project_perms: SELECT perm FROM project_permissions WHERE "user" = auth.user_id()
    query: |
      SELECT "Scene".* FROM "Scene"
        WHERE "Scene".project = subscription.parameter('project') AND ('a' IN global_perms OR 'b' IN project_perms)
`,
      ['1#s|0["p1"]'],
    ],
  ])('%s', async (_name, streams, expected) => {
    const yaml = streamsFile(streams);
    expect(compileSyncRules(yaml).diagnostics.map((d) => d.message)).toEqual([]);
    const rules = compileValid(yaml);
    const tables = {
      org_memberships: [{ org_id: 'o1', user_id: 'u1' }],
      organisations: [{ id: 'o1' }],
      OrgMember: [{ orgId: 'o1', userId: 'u1' }],
      project_permissions: [{ perm: 'b', user: 'u1' }],
    };
    const { buckets, errors } = await rules.resolveStreamSubscriptions(
      createRequestContext({ sub: 'u1' }, {}),
      { includeDefaults: false, subscriptions: [{ stream: 's', parameters: { project: 'p1' } }] },
      lookupReader(rules, tables),
    );
    expect(errors).toEqual([]);
    expect(buckets.map((b) => b.bucket)).toEqual(expected);
  });
});

test("PowerSync's 'json-each of cte' regression: a CTE's JSON array column in FROM", async () => {
  const yaml = streamsFile(`  manually_converted:
    auto_subscribe: true
    with:
      available_projects: |
        SELECT project FROM "ProjectInvitation"
        WHERE "appliedTo" != '' AND (auth.parameters() ->> 'haystack_id') IN "appliedTo"
          AND "status" = 'CLAIMED' AND connection.parameter('use_streams') != 1
          AND 'Scene' IN connection.parameter('synced_objects')
    query: |
      SELECT "Scene".*, "Scene"._id AS id, IFNULL("Scene".archived, 0) AS "archived"
      FROM "Scene", available_projects WHERE "Scene".project IN available_projects.project
`);
  expect(compileSyncRules(yaml).diagnostics.map((d) => d.message)).toEqual([]);
  const rules = compileValid(yaml);
  const tables = {
    ProjectInvitation: [
      { project: '["p1","p2"]', appliedTo: '["h1"]', status: 'CLAIMED' },
      { project: '["p3"]', appliedTo: '["h2"]', status: 'CLAIMED' },
    ],
  };
  const { buckets, errors } = await rules.resolveStreamSubscriptions(
    createRequestContext({ sub: 'u', haystack_id: 'h1' }, { use_streams: 0, synced_objects: ['Scene'] }),
    { includeDefaults: true, subscriptions: [] },
    lookupReader(rules, tables),
  );
  expect(errors).toEqual([]);
  expect(buckets.map((b) => b.bucket).sort()).toEqual([
    '1#manually_converted|0["p1"]',
    '1#manually_converted|0["p2"]',
  ]);
  const ops = rules.evaluateRow('Scene', { _id: 's1', project: 'p2', archived: null });
  expect(ops).toEqual([
    {
      bucket: '1#manually_converted|0["p2"]',
      outputTable: 'Scene',
      id: 's1',
      // `*` leaves out `_` columns, as in PowerSync; `_id` is synced as `id`.
      data: { id: 's1', project: 'p2', archived: 0n },
    },
  ]);
});

describe('a derived table column inside a larger expression reads its table column', () => {
  test('in a partition: the lookup stores the expression of the member column', async () => {
    const yaml = file('SELECT notes.* FROM notes, my_orgs WHERE notes.org_id = upper(my_orgs.org_id)');
    expect(compileSyncRules(yaml).diagnostics.map((d) => d.message)).toEqual([]);
    const rules = compileValid(yaml);
    const entries = rules.evaluateParameterRow('members', { org_id: 'o1', user_id: 'u1' });
    expect(entries.map((e) => [serializeParameterLookup(e.lookup), e.parameters])).toEqual([
      ['lookup/0["u1"]', { '0': 'O1' }],
    ]);
    const { buckets } = await rules.resolveStreamSubscriptions(
      createRequestContext({ sub: 'u1' }, {}),
      { includeDefaults: false, subscriptions: [{ stream: 's' }] },
      lookupReader(rules, { members: [{ org_id: 'o1', user_id: 'u1' }] }),
    );
    expect(buckets.map((b) => b.bucket)).toEqual(['1#s|0["O1"]']);
  });

  test('in synced columns and filters of the synced table', () => {
    const yaml = file(
      'SELECT q.id, upper(q.name) AS label FROM (SELECT id, name FROM orgs WHERE owner = auth.user_id()) AS q WHERE length(q.name) > 1',
    );
    expect(compileSyncRules(yaml).diagnostics.map((d) => d.message)).toEqual([
      "This common table expression isn't referenced: 'my_orgs'",
    ]);
    const rules = compileValid(yaml);
    expect(rules.evaluateRow('orgs', { id: 'o1', name: 'ab', owner: 'u1' })).toEqual([
      { bucket: '1#s|0["u1"]', outputTable: 'orgs', id: 'o1', data: { id: 'o1', label: 'AB' } },
    ]);
    expect(rules.evaluateRow('orgs', { id: 'o2', name: 'a', owner: 'u1' })).toEqual([]);
  });
});

describe('an expression column of a derived table inside a larger expression is inlined, as in PowerSync', () => {
  const LOWER_ORGS =
    '    with:\n      o: SELECT lower(org_id) AS lo FROM members WHERE user_id = auth.user_id()\n';

  test('in a partition: the lookup stores the whole inlined expression', async () => {
    const yaml = file('SELECT notes.* FROM notes, o WHERE notes.org_id = upper(o.lo)', LOWER_ORGS).replace(
      WITH_ORGS,
      '',
    );
    expect(compileSyncRules(yaml).diagnostics.map((d) => d.message)).toEqual([]);
    const rules = compileValid(yaml);
    const entries = rules.evaluateParameterRow('members', { org_id: 'Ab', user_id: 'u1' });
    expect(entries.map((e) => [serializeParameterLookup(e.lookup), e.parameters])).toEqual([
      ['lookup/0["u1"]', { '0': 'AB' }],
    ]);
    const { buckets } = await rules.resolveStreamSubscriptions(
      createRequestContext({ sub: 'u1' }, {}),
      { includeDefaults: false, subscriptions: [{ stream: 's' }] },
      lookupReader(rules, { members: [{ org_id: 'Ab', user_id: 'u1' }] }),
    );
    expect(buckets.map((b) => b.bucket)).toEqual(['1#s|0["AB"]']);
    expect(rules.evaluateRow('notes', { id: 'n1', org_id: 'AB' })).toEqual([
      { bucket: '1#s|0["AB"]', outputTable: 'notes', id: 'n1', data: { id: 'n1', org_id: 'AB' } },
    ]);
  });

  test.each<[string, string, SqliteRow, object[]]>([
    [
      'a synced column',
      "SELECT q.id, upper(q.ln) || '!' AS label FROM (SELECT id, lower(name) AS ln FROM orgs WHERE owner = auth.user_id()) AS q",
      { id: 'o1', name: 'Ab', owner: 'u1' },
      [{ bucket: '1#s|0["u1"]', outputTable: 'orgs', id: 'o1', data: { id: 'o1', label: 'AB!' } }],
    ],
    [
      'a row filter',
      'SELECT q.id FROM (SELECT id, lower(name) AS ln FROM orgs WHERE owner = auth.user_id()) AS q WHERE length(q.ln) > 2',
      { id: 'o1', name: 'Ab', owner: 'u1' },
      [],
    ],
    [
      'a bucket parameter',
      "SELECT q.id FROM (SELECT id, lower(name) AS ln FROM orgs) AS q WHERE upper(q.ln) = auth.parameter('n')",
      { id: 'o1', name: 'Ab' },
      [{ bucket: '1#s|0["AB"]', outputTable: 'orgs', id: 'o1', data: { id: 'o1' } }],
    ],
    [
      'through a derived table of a derived table',
      "SELECT r.id FROM (SELECT q.id, q.ln || 'x' AS lx FROM (SELECT id, lower(name) AS ln FROM orgs) AS q) AS r WHERE upper(r.lx) = auth.parameter('n')",
      { id: 'o1', name: 'Ab' },
      [{ bucket: '1#s|0["ABX"]', outputTable: 'orgs', id: 'o1', data: { id: 'o1' } }],
    ],
    [
      "a json_each element of the derived table's row",
      'SELECT q.id FROM (SELECT orgs.id, j.value AS v FROM orgs, json_each(orgs.tags) AS j) AS q WHERE upper(q.v) = auth.user_id()',
      { id: 'o1', tags: '["a","b"]' },
      [
        { bucket: '1#s|0["A"]', outputTable: 'orgs', id: 'o1', data: { id: 'o1' } },
        { bucket: '1#s|0["B"]', outputTable: 'orgs', id: 'o1', data: { id: 'o1' } },
      ],
    ],
    [
      'a request value compared with a column',
      "SELECT q.id FROM (SELECT id, auth.parameter('org') AS u FROM orgs) AS q WHERE upper(q.u) = q.id",
      { id: 'O1' },
      [{ bucket: '1#s|0["O1"]', outputTable: 'orgs', id: 'O1', data: { id: 'O1' } }],
    ],
  ])('in %s', (_name, sql, row, expected) => {
    const yaml = file(sql).replace(WITH_ORGS, '');
    expect(compileSyncRules(yaml).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(compileValid(yaml).evaluateRow('orgs', row)).toEqual(expected);
  });
});

test("a derived table's column compared with a constant filters the synced rows", () => {
  const yaml = file(
    "SELECT notes.* FROM notes, my_orgs WHERE notes.org_id = my_orgs.org_id AND my_orgs.org_id = 'o1'",
  );
  const rules = compileValid(yaml);
  expect(rules.evaluateParameterRow('members', { org_id: 'o1', user_id: 'u1' })).toHaveLength(1);
  expect(rules.evaluateParameterRow('members', { org_id: 'o2', user_id: 'u1' })).toEqual([]);
});
