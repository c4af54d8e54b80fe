// Fault: a TRUNCATE under a backlog. 20,000 rows inserted in one transaction, all in partition 0,
// then TRUNCATE (its record lands in any partition), then a few rows, while the evaluator is paused
// (SIGSTOP) so that all of it waits in Kafka. The truncate must wait until the checkpoint covers the
// insert, whose events are in partition 0's later fetches: kafkajs does not fetch again while a
// batch of the same fetch is still running, so a truncate that waits inside its batch for ever
// deadlocks. It gives its batch back instead and is fetched again. The end state must equal
// Postgres: only the rows inserted after the truncate.
import {
  evaluatorEnv,
  materialize,
  openDeploymentState,
  startCapture,
  startEvaluatorProcess,
  syncTo,
  writeRulesFile,
  type CdcCapture,
  type DeploymentState,
  type EvaluatorProcess,
} from '@syncline/test-kit';
import { parseOpId } from '@syncline/protocol';
import { loadConfig } from '../../src/config';
import { partitionOf } from '../bank';

jest.setTimeout(300_000);

const PARTITIONS = 6;
const BULK = 20_000;
const RULES = `
bucket_definitions:
  all_items:
    data:
      - SELECT id, v FROM items
`;

describe('a TRUNCATE after a bulk insert, under a backlog', () => {
  let capture: CdcCapture;
  let state: DeploymentState;
  let evaluator: EvaluatorProcess;

  beforeAll(async () => {
    capture = await startCapture({
      label: 'fault_truncate',
      setupSql: 'CREATE TABLE items (id int PRIMARY KEY, v text NOT NULL);',
      partitions: PARTITIONS,
    });
    const env = evaluatorEnv(capture, writeRulesFile(RULES), { SYNCLINE_LOG_LEVEL: 'info' });
    state = openDeploymentState(loadConfig(env).keyPrefix);
    evaluator = startEvaluatorProcess(env, ['--rules', env.SYNCLINE_RULES_FILE!]);
  });

  afterAll(async () => {
    evaluator?.child.kill('SIGKILL');
    await state?.close();
    await capture?.close();
  });

  it('does not deadlock, and ends with only the rows written after the truncate', async () => {
    await capture.pg.query(`INSERT INTO items VALUES (0, 'before')`);
    await syncTo(capture, state, 120_000);
    const ids: number[] = [];
    for (let id = 1; ids.length < BULK; id++) if (partitionOf(id, PARTITIONS) === 0) ids.push(id);
    evaluator.child.kill('SIGSTOP');
    try {
      await capture.pg.query(`INSERT INTO items SELECT id, 'bulk' FROM unnest($1::int[]) AS id`, [ids]);
      await capture.pg.query('TRUNCATE items');
      await capture.pg.query(`INSERT INTO items SELECT g, 'after' FROM generate_series(1, 12) AS g`);
      // Let Debezium ship all of it while the evaluator is paused.
      await new Promise((r) => setTimeout(r, 8000));
    } finally {
      evaluator.child.kill('SIGCONT');
    }
    const final = await syncTo(capture, state, 150_000).catch((error: unknown) => {
      process.stderr.write(evaluator.output().slice(-5000));
      throw error;
    });
    const { rows } = await materialize(state, 'all_items[]', parseOpId(final.lastOpId));
    expect([...rows.keys()].sort()).toEqual(Array.from({ length: 12 }, (_, i) => `items/${i + 1}`).sort());
    const gaveBack = /fetching its partition again from the truncate/.test(evaluator.output());
    process.stderr.write(
      `truncate-backlog: the truncate ${gaveBack ? 'gave its batch back' : 'did not need to wait'}\n`,
    );
  });
});
