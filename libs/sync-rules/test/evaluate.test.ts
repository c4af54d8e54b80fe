// evaluateRow / evaluateParameterRow / resolveBuckets over every query form.
import { stringifyJson } from '@syncline/lossless-json';
import type { SqliteJsonRow, SqliteRow } from '@syncline/sqlite-value';
import {
  createRequestContext,
  serializeParameterLookup,
  type ParameterLookupSource,
  type SyncRules,
} from '../src';
import { compileValid } from './helpers';

/** A lookup backed by rows fed through evaluateParameterRow, as the evaluator + Redis would do. */
function lookupFrom(rules: SyncRules, tables: Record<string, SqliteRow[]>): ParameterLookupSource {
  const index = new Map<string, SqliteJsonRow[]>();
  for (const [table, rows] of Object.entries(tables)) {
    for (const row of rows) {
      for (const entry of rules.evaluateParameterRow(table, row)) {
        const key = serializeParameterLookup(entry.lookup);
        index.set(key, [...(index.get(key) ?? []), entry.parameters]);
      }
    }
  }
  return async (lookups) => lookups.map((l) => index.get(serializeParameterLookup(l)) ?? []);
}

async function bucketsFor(
  rules: SyncRules,
  token: object,
  params: object = {},
  tables: Record<string, SqliteRow[]> = {},
): Promise<string[]> {
  const resolved = await rules.resolveBuckets(createRequestContext(token, params), lookupFrom(rules, tables));
  return resolved.map((b) => `${b.bucket}@${b.priority}`);
}

describe('data queries', () => {
  const rules = compileValid(`
bucket_definitions:
  global:
    data:
      - SELECT * FROM todos
      - SELECT id, name AS title, upper(name) AS shout FROM lists AS my_lists WHERE NOT archived
  by_user:
    parameters: SELECT request.user_id() AS user_id
    data:
      - SELECT id, owner_id FROM todos WHERE owner_id = bucket.user_id
  by_tag:
    parameters: SELECT value AS tag FROM json_each(request.jwt() -> 'tags')
    data:
      - SELECT id FROM todos WHERE bucket.tag IN tags OR bucket.tag = category
  by_org_and_user:
    parameters: SELECT token_parameters.org AS org, request.user_id() AS user_id
    data:
      - SELECT id FROM todos WHERE org_id = bucket.org AND (owner_id = bucket.user_id OR shared = 1) AND owner_id = bucket.user_id
  wildcard:
    data:
      - SELECT id FROM "audit_%"
`);

  test('puts a row in every bucket it belongs to, with a text object id and the data id as it is', () => {
    const ops = rules.evaluateRow('todos', {
      id: 7n,
      owner_id: 'u1',
      org_id: 1n,
      tags: '["a","b"]',
      category: 'a',
      shared: 0n,
      _hidden: 'x',
    });
    expect(ops.map((o) => `${o.bucket} ${o.outputTable} ${o.id}`)).toEqual([
      'global[] todos 7',
      'by_user["u1"] todos 7',
      'by_tag["a"] todos 7',
      'by_tag["b"] todos 7',
      'by_org_and_user[1,"u1"] todos 7',
    ]);
    expect(stringifyJson(ops[0]?.data)).toBe(
      '{"id":7,"owner_id":"u1","org_id":1,"tags":"[\\"a\\",\\"b\\"]","category":"a","shared":0}',
    );
    expect(ops[1]?.data).toEqual({ id: 7n, owner_id: 'u1' });
  });

  test('an alias names the output table and row filters apply', () => {
    expect(rules.evaluateRow('lists', { id: 'l1', name: 'x', archived: 0n })).toEqual([
      { bucket: 'global[]', outputTable: 'my_lists', id: 'l1', data: { id: 'l1', title: 'x', shout: 'X' } },
    ]);
    expect(rules.evaluateRow('lists', { id: 'l1', name: 'x', archived: 1n })).toEqual([]);
  });

  test('schema-qualified table names and wildcards match; other tables produce nothing', () => {
    expect(rules.evaluateRow('public.audit_2024', { id: 1n }).map((o) => [o.bucket, o.outputTable])).toEqual([
      ['wildcard[]', 'audit_2024'],
    ]);
    expect(rules.evaluateRow('other.todos', { id: 1n })).toEqual([]);
    expect(rules.evaluateRow('nothing', { id: 1n })).toEqual([]);
  });

  test('null parameter values and missing ids', () => {
    const ops = rules.evaluateRow('todos', { owner_id: null });
    expect(ops.map((o) => [o.bucket, o.id])).toEqual([['global[]', '']]);
  });

  test('64-bit ids stay exact in bucket names and data', () => {
    const ops = rules.evaluateRow('todos', { id: 9007199254740993n, owner_id: 9007199254740993n });
    expect(ops[1]?.bucket).toBe('by_user[9007199254740993]');
    expect(ops[1]?.id).toBe('9007199254740993');
  });
});

describe('parameter queries', () => {
  const rules = compileValid(`
bucket_definitions:
  mine:
    parameters: SELECT request.user_id() AS user_id WHERE token_parameters.active
    data: [SELECT id FROM t WHERE owner = bucket.user_id]
  admin:
    priority: 1
    parameters: SELECT 1 AS x WHERE request.jwt() ->> 'role' = 'admin'
    data: [SELECT id FROM t WHERE 1 = bucket.x]
  lists:
    parameters:
      - SELECT id AS list_id FROM lists WHERE owner_id = request.user_id()
      - SELECT list_id FROM shares WHERE request.user_id() IN members
      - SELECT id AS list_id, priority AS _priority FROM lists WHERE id IN token_parameters.list_ids AND NOT archived
    data: [SELECT id FROM todos WHERE list_id = bucket.list_id]
  by_team:
    accept_potentially_dangerous_queries: true
    parameters: SELECT request.parameters() ->> 'team' AS team, user_parameters.n AS n
    data: [SELECT id FROM t WHERE team = bucket.team AND n = bucket.n]
  global:
    data: [SELECT id FROM t]
`);

  test('evaluateParameterRow indexes a row under its lookup values', () => {
    expect(
      rules.evaluateParameterRow('lists', { id: 'l1', owner_id: 'u1', priority: 1n, archived: 0n }),
    ).toEqual([
      { lookup: { definition: 'lists', queryId: '0', values: ['u1'] }, parameters: { list_id: 'l1' } },
      {
        lookup: { definition: 'lists', queryId: '2', values: ['l1'] },
        parameters: { list_id: 'l1', _priority: 1n },
      },
    ]);
    expect(
      rules
        .evaluateParameterRow('shares', { list_id: 'l2', members: '["u1","u2"]' })
        .map((e) => e.lookup.values),
    ).toEqual([['u1'], ['u2']]);
    expect(rules.evaluateParameterRow('lists', { id: 'l1', owner_id: null, archived: 1n })).toEqual([]);
  });

  test('resolveBuckets combines static, lookup and expanded parameters with priorities', async () => {
    const buckets = await bucketsFor(
      rules,
      { sub: 'u1', role: 'admin', parameters: { active: true, list_ids: ['l3', 'l9'] } },
      { team: 'red', n: 2.0 },
      {
        lists: [
          { id: 'l1', owner_id: 'u1', priority: 3n, archived: 0n },
          { id: 'l3', owner_id: 'u2', priority: 0n, archived: 0n },
          { id: 'l4', owner_id: 'u2', priority: 0n, archived: 0n },
        ],
        shares: [{ list_id: 'l2', members: '["u1"]' }],
      },
    );
    expect(buckets).toEqual([
      'mine["u1"]@3',
      'admin[1]@1',
      'by_team["red",2]@3',
      'global[]@3',
      'lists["l1"]@3',
      'lists["l2"]@3',
      'lists["l3"]@0',
    ]);
  });

  test('request filters remove buckets', async () => {
    const buckets = await bucketsFor(rules, { sub: 'u2', parameters: { active: false } });
    expect(buckets).toEqual(['by_team[null,null]@3', 'global[]@3']);
  });

  test('lookup is called once with every lookup', async () => {
    const calls: unknown[] = [];
    await rules.resolveBuckets(
      createRequestContext({ sub: 'u1', parameters: { list_ids: ['a'] } }),
      async (lookups) => {
        calls.push(lookups.map((l) => serializeParameterLookup(l)));
        return lookups.map(() => []);
      },
    );
    expect(calls).toEqual([['lists/0["u1"]', 'lists/1["u1"]', 'lists/2["a"]']]);
  });
});

describe('editions', () => {
  test('edition 2 prefixes bucket names with the sync config version', () => {
    const rules = compileValid(
      'config:\n  edition: 2\nbucket_definitions:\n  g:\n    data: [SELECT id FROM t]\n',
    );
    expect(rules.evaluateRow('t', { id: 1n })[0]?.bucket).toBe('1#g[]');
  });

  test('the rules hash changes with the rules and not with YAML formatting', () => {
    const a = compileValid('bucket_definitions:\n  g:\n    data: [SELECT id FROM t]\n').hash;
    const b = compileValid(
      '# comment\nbucket_definitions:\n  g:\n    data:\n      - "SELECT id FROM t"\n',
    ).hash;
    const c = compileValid('bucket_definitions:\n  g:\n    data: [SELECT id FROM u]\n').hash;
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });
});
