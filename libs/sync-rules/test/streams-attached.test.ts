// Edition 3: json_each over a row's own array with its `value` and `key` used in expressions, as
// PowerSync expands them: the row (of the synced table or of a lookup table) is evaluated once per
// element, so a filter and a parameter read the same element.
import type { SqliteRow } from '@syncline/sqlite-value';
import { compileSyncRules, createRequestContext, serializeParameterLookup } from '../src';
import { compileValid, lookupReader, streamsFile } from './helpers';

const RULES = streamsFile(`  by_tag_name:
    query: SELECT posts.* FROM posts, json_each(posts.tags) AS t WHERE t.value ->> 'name' = auth.parameter('tag')
  editors:
    query: |
      SELECT docs.* FROM docs, json_each(docs.acl) AS a
        WHERE a.value ->> 'user' = auth.user_id() AND a.value ->> 'role' = 'editor'
  big:
    query: SELECT nums.* FROM nums, json_each(nums.values_) AS j WHERE j.value > 3
  flags:
    query: SELECT cfg.* FROM cfg, json_each(cfg.flags) AS f WHERE f.key = auth.parameter('flag') AND f.value
  owned_tasks:
    query: |
      SELECT * FROM tasks WHERE project_id IN (SELECT projects.id FROM projects, json_each(projects.members) AS m
        WHERE m.value ->> 'user' = auth.user_id() AND m.value ->> 'role' = 'owner')
`);

describe('json_each over a row array, value in expressions', () => {
  test('compiles without diagnostics', () => {
    expect(compileSyncRules(RULES).diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`)).toEqual([]);
  });

  test.each<[string, string, SqliteRow, string[]]>([
    [
      'a member of each element',
      'posts',
      { id: 'p', tags: '[{"name":"a"},{"name":"b"},{"name":"a"}]' },
      ['1#by_tag_name|0["a"]', '1#by_tag_name|0["b"]'],
    ],
    // Only u2 is an editor: u1's element has another role.
    [
      'a filter and a parameter on one element',
      'docs',
      { id: 'd', acl: '[{"user":"u1","role":"viewer"},{"user":"u2","role":"editor"}]' },
      ['1#editors|0["u2"]'],
    ],
    ['a filter only: some element passes', 'nums', { id: 'n', values_: '[1,5]' }, ['1#big|0[]']],
    ['a filter only: no element passes', 'nums', { id: 'n', values_: '[1,2]' }, []],
    ['an empty array: no element, no bucket', 'nums', { id: 'n', values_: '[]' }, []],
    [
      "an object's keys with their values",
      'cfg',
      { id: 'c', flags: '{"dark":true,"beta":false}' },
      ['1#flags|0["dark"]'],
    ],
  ])('%s', (_name, table, row, expected) => {
    const rules = compileValid(RULES);
    expect(rules.evaluateRow(table, row).map((op) => op.bucket)).toEqual(expected);
  });

  test('a lookup table stores the entries of each element that passes', () => {
    const row = { id: 'p1', members: '[{"user":"u1","role":"owner"},{"user":"u2","role":"viewer"}]' };
    const entries = compileValid(RULES).evaluateParameterRow('projects', row);
    expect(entries.map((e) => [serializeParameterLookup(e.lookup), e.parameters])).toEqual([
      ['lookup/0["u1"]', { '0': 'p1' }],
    ]);
  });

  test.each([
    ['u1', ['1#owned_tasks|0["p1"]']],
    ['u2', []],
  ])('request of %s', async (sub, expected) => {
    const rules = compileValid(RULES);
    const tables = {
      projects: [{ id: 'p1', members: '[{"user":"u1","role":"owner"},{"user":"u2","role":"viewer"}]' }],
    };
    const { buckets } = await rules.resolveStreamSubscriptions(
      createRequestContext({ sub }, {}),
      { includeDefaults: false, subscriptions: [{ stream: 'owned_tasks' }] },
      lookupReader(rules, tables),
    );
    expect(buckets.map((b) => b.bucket)).toEqual(expected);
  });

  test('the synced data is the row itself, without the element columns', () => {
    const [op] = compileValid(RULES).evaluateRow('nums', { id: 'n', values_: '[5]' });
    expect(op?.data).toEqual({ id: 'n', values_: '[5]' });
  });
});
