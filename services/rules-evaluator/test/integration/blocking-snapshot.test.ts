// A Debezium blocking snapshot (an execute-snapshot signal of type `blocking`) on the real stack.
// Debezium pauses streaming, reads the table, and resumes from where it paused; the rows name the
// commit it paused at (source.sequence) and hold changes streamed after them. They are
// dead-lettered (SYNC_E315), not placed: they used to pass as a replay of the initial snapshot
// and take op ids below the published checkpoint, which clients holding data never receive.
import { topicNamesFor } from '@syncline/kafka-topics';
import { parseOpId } from '@syncline/protocol';
import {
  evaluatorEnv,
  getTestStack,
  materialize,
  openDeploymentState,
  readUntil,
  startCapture,
  syncTo,
  testKafka,
  writeRulesFile,
  type CdcCapture,
  type DeploymentState,
} from '@syncline/test-kit';
import { DEAD_LETTER_HEADERS } from '../../src/dead-letter';
import { ALL_NOTES_RULES, startInProcess, type InProcessEvaluator } from './harness';

describe('a blocking snapshot', () => {
  let capture: CdcCapture;
  let running: InProcessEvaluator | null = null;
  let state: DeploymentState;

  afterAll(async () => {
    await running?.stop();
    await state?.close();
    await capture?.close();
  });

  it('is dead-lettered row by row while streaming goes on, and nothing of it is placed', async () => {
    capture = await startCapture({
      label: 'eval_block',
      setupSql:
        'CREATE TABLE debezium_signal (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048));' +
        " CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes SELECT g, 'old ' || g FROM generate_series(1, 5) g;",
      signalTable: 'debezium_signal',
    });
    const env = evaluatorEnv(capture, writeRulesFile(ALL_NOTES_RULES), {
      SYNCLINE_BUCKET_TOPIC: 'off',
      SYNCLINE_SIGNAL_TABLE: `${capture.schema}.debezium_signal`,
    });
    running = await startInProcess(env);
    state = openDeploymentState(running.config.keyPrefix);
    // snapshot.mode=no_data: notes 1-5 were never snapshotted; note 100 is streamed.
    await capture.pg.query(`INSERT INTO notes VALUES (100, 'streamed')`);
    await syncTo(capture, state);
    await capture.pg.query(`INSERT INTO debezium_signal VALUES ('block-1', 'execute-snapshot', $1)`, [
      JSON.stringify({ 'data-collections': [`${capture.schema}.notes`], type: 'blocking' }),
    ]);
    await capture.pg.query(`INSERT INTO notes VALUES (101, 'during')`);

    const kafka = testKafka(getTestStack().endpoints.kafkaBrokers);
    const dead = await readUntil(
      kafka,
      [topicNamesFor(capture.topicPrefix).deadLetter],
      (r) => r.length >= 6,
    );
    expect(dead.map((r) => r.headers[DEAD_LETTER_HEADERS.reason])).toEqual(
      dead.map(() => 'blocking-snapshot'),
    );
    expect(dead.every((r) => r.headers[DEAD_LETTER_HEADERS.topic] === capture.tableTopic('notes'))).toBe(
      true,
    );

    await capture.pg.query(`INSERT INTO notes VALUES (102, 'after')`);
    const cp = await syncTo(capture, state);
    // Only the streamed notes: none of the snapshot's rows took an op id (below the checkpoint or not).
    const { rows } = await materialize(state, 'all_notes[]', parseOpId(cp.lastOpId));
    expect([...rows.keys()].sort()).toEqual(['notes/100', 'notes/101', 'notes/102']);
    const metrics = await (await fetch(`http://127.0.0.1:${running.evaluator.port!}/metrics`)).text();
    expect(metrics).toMatch(/syncline_evaluator_dead_letters_total\{reason="blocking-snapshot"\} [6-9]/);
  });
});
