// Sync streams (edition 3) through the real pipeline: the evaluator writes each stream's ops and
// the versioned lookups of a JOIN's chain (org_members -> lists -> todos), so a connection's
// subscriptions resolve, every stage read as of a checkpoint, to exactly the rows the query
// allows; a membership change moves the buckets at the checkpoint that includes it, and an
// older checkpoint still resolves as it was.
import { parseOpId } from '@syncline/protocol';
import { loadSyncRulesFile } from '@syncline/service-runtime';
import {
  createRequestContext,
  serializeParameterLookup,
  type ParameterLookupSource,
  type StreamSubscription,
  type SyncRules,
} from '@syncline/sync-rules';
import {
  evaluatorEnv,
  materialize,
  openDeploymentState,
  startCapture,
  syncTo,
  writeRulesFile,
  type CdcCapture,
  type DeploymentState,
} from '@syncline/test-kit';
import { startInProcess, type InProcessEvaluator } from './harness';

const RULES = `
config:
  edition: 3
streams:
  my_lists:
    auto_subscribe: true
    query: SELECT id, owner, name FROM lists WHERE owner = auth.user_id()
  org_todos:
    priority: 1
    query: |
      SELECT todos.* FROM todos
        JOIN lists ON lists.id = todos.list_id
        JOIN org_members ON org_members.org = lists.org
      WHERE org_members.user_id = auth.user_id()
  list_todos:
    query: |
      SELECT * FROM todos WHERE list_id = subscription.parameter('list')
        AND list_id IN (SELECT id FROM lists WHERE org IN
          (SELECT org FROM org_members WHERE user_id = auth.user_id()))
`;

const SETUP = `
CREATE TABLE lists (id int PRIMARY KEY, owner text NOT NULL, name text, org text);
CREATE TABLE org_members (org text, user_id text, PRIMARY KEY (org, user_id));
CREATE TABLE todos (id int PRIMARY KEY, list_id int NOT NULL, title text);
`;

describe('the evaluator on sync streams', () => {
  let capture: CdcCapture;
  let running: InProcessEvaluator | null = null;
  let state: DeploymentState;
  let rules: SyncRules;

  beforeAll(async () => {
    capture = await startCapture({ label: 'eval_streams', setupSql: SETUP, partitions: 2 });
    const rulesFile = writeRulesFile(RULES);
    running = await startInProcess(evaluatorEnv(capture, rulesFile, { SYNCLINE_BUCKET_TOPIC: 'off' }));
    rules = await loadSyncRulesFile(rulesFile, { defaultSchema: running.config.defaultSchema });
    state = openDeploymentState(running.config.keyPrefix);
  });

  afterAll(async () => {
    await running?.stop();
    await state?.close();
    await capture?.close();
  });

  /** The user's buckets at `checkpoint` and the todo titles they hold there. */
  async function received(user: string, subscriptions: StreamSubscription[], checkpoint: bigint) {
    const { buckets, errors } = await rules.resolveStreamSubscriptions(
      createRequestContext({ sub: user }),
      { includeDefaults: true, subscriptions },
      async (lookups) =>
        (await Promise.all(
          lookups.map((l) => state.reader.lookupAt(serializeParameterLookup(l), checkpoint)),
        )) as Awaited<ReturnType<ParameterLookupSource>>,
    );
    expect(errors).toEqual([]);
    const rows: string[] = [];
    for (const b of buckets)
      for (const data of (await materialize(state, b.bucket, checkpoint)).rows.values()) {
        const row = JSON.parse(data) as { title?: string; name?: string };
        rows.push(row.title ?? `list:${row.name}`);
      }
    return { buckets: buckets.map((b) => [b.bucket, b.priority, b.reasons]).sort(), rows: rows.sort() };
  }

  it('writes stream ops and chained lookups that resolve as of each checkpoint', async () => {
    await capture.pg.query(`
      INSERT INTO org_members VALUES ('o1', 'alice'), ('o2', 'bob');
      INSERT INTO lists VALUES (1, 'alice', 'groceries', 'o1'), (2, 'bob', 'tools', 'o2'), (3, 'carol', 'shared', 'o1');
      INSERT INTO todos VALUES (10, 1, 'milk'), (20, 2, 'hammer'), (30, 3, 'plan');
    `);
    const before = parseOpId((await syncTo(capture, state)).lastOpId);
    const subscriptions = [{ stream: 'org_todos' }, { stream: 'list_todos', parameters: { list: 3 } }];
    expect(await received('alice', subscriptions, before)).toEqual({
      buckets: [
        ['1#my_lists|0["alice"]', 3, ['default']],
        ['1#org_todos|0[1]', 1, [{ subscription: 0 }]],
        // list_todos (priority 3) and org_todos (1) share the bucket: the most urgent wins.
        ['1#org_todos|0[3]', 1, [{ subscription: 0 }, { subscription: 1 }]],
      ],
      rows: ['list:groceries', 'milk', 'plan'],
    });
    expect((await received('bob', subscriptions, before)).rows).toEqual(['hammer', 'list:tools']);

    // Alice moves to o2: every stage of the chain follows at the checkpoint that includes it.
    await capture.pg.query(`
      UPDATE org_members SET org = 'o2' WHERE user_id = 'alice';
      INSERT INTO todos VALUES (21, 2, 'saw');
    `);
    const after = parseOpId((await syncTo(capture, state)).lastOpId);
    expect(await received('alice', subscriptions, after)).toEqual({
      buckets: [
        ['1#my_lists|0["alice"]', 3, ['default']],
        ['1#org_todos|0[2]', 1, [{ subscription: 0 }]],
      ],
      rows: ['hammer', 'list:groceries', 'saw'],
    });
    // As of the earlier checkpoint, the lookups still say what they said then.
    expect((await received('alice', subscriptions, before)).rows).toEqual(['list:groceries', 'milk', 'plan']);
  });
});
