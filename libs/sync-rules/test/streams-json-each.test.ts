// Edition 3: json_each over a request value as a table of its own, as PowerSync has it: its
// elements filtered by a WHERE, its `value` and `key` used in expressions, values of one element
// kept together; and the shapes PowerSync refuses.
import { compileSyncRules, createRequestContext } from '../src';
import { compileValid, lookupReader } from './helpers';

const RULES = `config:
  edition: 3
streams:
  workspaces:
    auto_subscribe: true
    with:
      workspaces_param: |
        SELECT value ->> 'id' AS id
        FROM json_each(auth.parameter('workspaces'))
        WHERE value ->> 'role' = 'user' AND value ->> 'type' = 'individual'
    query: SELECT * FROM workspace WHERE workspace.id IN workspaces_param
  not_hidden:
    query: SELECT * FROM t WHERE id IN (SELECT value FROM json_each(auth.parameter('ids')) WHERE value != 'hidden')
  flags:
    query: SELECT * FROM features WHERE name IN (SELECT key FROM json_each(auth.parameter('flags')) WHERE value)
  pairs:
    query: |
      SELECT t.* FROM t, json_each(auth.parameter('pairs')) AS p
        WHERE t.a = p.value ->> 'a' AND t.b = p.value ->> 'b'
  chosen:
    query: SELECT * FROM t WHERE id IN (SELECT value FROM json_each(subscription.parameter('ids')) WHERE value != '')
`;

async function resolve(token: object, stream: string, parameters: object | null = null) {
  const rules = compileValid(RULES);
  return rules.resolveStreamSubscriptions(
    createRequestContext(token, {}),
    { includeDefaults: false, subscriptions: [{ stream, parameters }] },
    lookupReader(rules, {}),
  );
}

describe('json_each over a request value', () => {
  test('compiles with only the warning for a client-controlled array', () => {
    const { diagnostics } = compileSyncRules(RULES);
    expect(diagnostics.map((d) => [d.severity, d.line, d.column, d.message.slice(0, 40)])).toEqual([
      ['warning', 21, 69, 'Clients can send any value for this unau'],
    ]);
  });

  test.each<[string, string, object, object | null, string[]]>([
    [
      'a CTE filtering the elements and reading a member of each',
      'workspaces',
      {
        sub: 'u',
        workspaces: [
          { id: 'w1', role: 'user', type: 'individual' },
          { id: 'w2', role: 'admin', type: 'individual' },
          { id: 'w3', role: 'user', type: 'individual' },
        ],
      },
      null,
      ['1#workspaces|0["w1"]', '1#workspaces|0["w3"]'],
    ],
    [
      'a WHERE in the subquery',
      'not_hidden',
      { sub: 'u', ids: ['a', 'hidden', 'b'] },
      null,
      ['1#not_hidden|0["a"]', '1#not_hidden|0["b"]'],
    ],
    [
      "an object's keys",
      'flags',
      { sub: 'u', flags: { dark: true, beta: false } },
      null,
      ['1#flags|0["dark"]'],
    ],
    // Two members of one element stay together: (1, 2) and (3, 4), never (1, 4).
    [
      'two values of one element',
      'pairs',
      {
        sub: 'u',
        pairs: [
          { a: 1, b: 2 },
          { a: 3, b: 4 },
        ],
      },
      null,
      ['1#pairs|0[1,2]', '1#pairs|0[3,4]'],
    ],
    ['a missing claim', 'not_hidden', { sub: 'u' }, null, []],
    ['a subscription parameter', 'chosen', { sub: 'u' }, { ids: ['x', ''] }, ['1#not_hidden|0["x"]']],
  ])('%s', async (_name, stream, token, parameters, expected) => {
    const { buckets, errors } = await resolve(token, stream, parameters);
    expect(errors).toEqual([]);
    expect(buckets.map((b) => b.bucket).sort()).toEqual(expected);
  });

  test('a subscription parameter that is not JSON is the subscription error', async () => {
    const { buckets, errors } = await resolve({ sub: 'u' }, 'chosen', { ids: '[oops' });
    expect(buckets).toEqual([]);
    expect(errors.map((e) => [e.stream, e.reason])).toEqual([['chosen', { subscription: 0 }]]);
    expect(errors[0]?.message).toMatch(/JSON/);
  });

  test('rows are partitioned by the compared columns', () => {
    const ops = compileValid(RULES).evaluateRow('t', { id: 'x', a: 1n, b: 2n });
    expect(ops.map((op) => op.bucket)).toEqual(['1#not_hidden|0["x"]', '1#pairs|0[1,2]']);
  });
});
