// Edition 3: the join queries PowerSync's users sent it (anonymised in PowerSync's compiler tests,
// "joins feedback"), which PowerSync compiles: each compiles here without errors, and the
// equivalent spellings one user gave resolve to the same buckets.
import type { SqliteRow } from '@syncline/sqlite-value';
import { compileSyncRules, createRequestContext } from '../src';
import { compileValid, lookupReader, streamsFile } from './helpers';

function file(sql: string): string {
  return streamsFile(`  s:\n    auto_subscribe: true\n    query: ${JSON.stringify(sql)}\n`);
}

const RESPONSES: [string, string][] = [
  [
    '1: a user table through two memberships',
    'SELECT u.* FROM users AS "u" JOIN group_memberships gm1 ON u.id = gm1.user_id JOIN group_memberships gm2 ON gm1.group_id = gm2.group_id WHERE gm2.user_id = auth.user_id()',
  ],
  [
    '4: a join with a constant filter',
    'SELECT m.* FROM message AS "m" JOIN roles srm ON m.organization_id = srm.organization_id WHERE srm.account_id=auth.user_id() AND srm.role_id=\'ORGANIZATION_LEADER\'',
  ],
  [
    '5: a join inside a subquery',
    'SELECT * FROM users WHERE family_id IN (SELECT users.family_id FROM users INNER JOIN user_auth_mappings ON users.id = user_auth_mappings.user_id WHERE user_auth_mappings.auth_id = auth.user_id())',
  ],
  [
    '8: a plain subquery',
    'SELECT * FROM events WHERE id IN (SELECT event_id FROM event_users WHERE user_id = auth.user_id())',
  ],
  [
    '9: colleagues through an organization map',
    'SELECT u.* FROM public.users AS "u" JOIN public.user_organization_map AS uom_colleagues ON u.id = uom_colleagues.user_id WHERE uom_colleagues.organization_id IN (SELECT organization_id FROM public.user_organization_map WHERE user_id = auth.user_id())',
  ],
  [
    '9, written with joins and DISTINCT',
    'SELECT DISTINCT u.* FROM public.user_organization_map AS uom1 JOIN public.user_organization_map AS uom2 ON uom1.organization_id = uom2.organization_id JOIN public.users AS "u" ON uom2.user_id = u.id WHERE uom1.user_id = auth.user_id()',
  ],
  [
    '10: nested subqueries with DISTINCT',
    'SELECT a.* FROM public.users AS u JOIN public.addresses AS "a" ON u.address_id = a.id WHERE u.id IN (SELECT DISTINCT uom.user_id FROM public.user_organization_map AS uom WHERE uom.organization_id IN (SELECT organization_id FROM public.user_organization_map WHERE user_id = auth.parameter(\'app_metadata.user_id\')))',
  ],
  [
    '11: a detail table',
    'SELECT t.* FROM ticket AS "t" JOIN ticket_detail_item item ON item.ticket_id = t.id WHERE item.user_id = auth.user_id()',
  ],
  [
    '12: a join in a subquery with a row array',
    'SELECT p.* FROM profile p WHERE p.id IN (SELECT ppl.profile_id FROM profile_project_link ppl JOIN project pr ON ppl.project_id = pr.id WHERE auth.user_id() in pr.download_profiles AND ppl.membership IS NOT NULL AND ppl.active = true)',
  ],
  [
    '13: a chain of four tables',
    'select c.* from user_assignment_scope uas join assignment a on a.id = uas.assignment_id join assignment_checkpoint ac on ac.assignment_id = a.id join checkpoint AS "c" on c.id = ac.checkpoint_id where uas.user_id = auth.user_id() and a.active = true',
  ],
];

describe('joins PowerSync users wrote', () => {
  test.each(RESPONSES)('%s compiles', (_name, sql) => {
    const errors = compileSyncRules(file(sql)).diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => `${d.line}:${d.column} ${d.message}`)).toEqual([]);
  });

  test('response 9 in both spellings gives the same buckets', async () => {
    const tables: Record<string, SqliteRow[]> = {
      user_organization_map: [
        { user_id: 'u1', organization_id: 'o1' },
        { user_id: 'u2', organization_id: 'o1' },
        { user_id: 'u3', organization_id: 'o2' },
      ],
    };
    const bucketsOf = async (sql: string) => {
      const rules = compileValid(file(sql));
      const { buckets } = await rules.resolveStreamSubscriptions(
        createRequestContext({ sub: 'u1' }, {}),
        { includeDefaults: true, subscriptions: [] },
        lookupReader(rules, tables),
      );
      return buckets.map((b) => b.bucket).sort();
    };
    const viaSubquery = await bucketsOf(RESPONSES[4]![1]);
    expect(viaSubquery).toEqual(['1#s|0["u1"]', '1#s|0["u2"]']);
    expect(await bucketsOf(RESPONSES[5]![1])).toEqual(viaSubquery);
  });
});
