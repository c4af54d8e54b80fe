// Operations: garbage in a change topic goes to the dead-letter topic and processing continues;
// /metrics, /healthz, /readyz; an evaluator started with other rules refuses to run, and the
// documented reset path lets the new rules start from scratch.
import { topicNamesFor } from '@syncline/kafka-topics';
import { parseOpId } from '@syncline/protocol';
import {
  evaluatorEnv,
  getTestStack,
  materialize,
  openDeploymentState,
  readUntil,
  startCapture,
  startEvaluatorProcess,
  syncTo,
  testKafka,
  writeRulesFile,
  type CdcCapture,
  type DeploymentState,
} from '@syncline/test-kit';
import { LAYOUT_VERSION } from '@syncline/bucket-store';
import { DEAD_LETTER_HEADERS } from '../../src/dead-letter';
import { ALL_NOTES_RULES, startInProcess, type InProcessEvaluator } from './harness';

const OTHER_RULES = `
bucket_definitions:
  all_notes:
    data:
      - SELECT id, upper(body) AS body FROM notes
`;

describe('evaluator operations', () => {
  let capture: CdcCapture;
  let running: InProcessEvaluator | null = null;
  let state: DeploymentState;
  let env: Record<string, string>;

  beforeAll(async () => {
    capture = await startCapture({
      label: 'eval_ops',
      setupSql: 'CREATE TABLE notes (id int PRIMARY KEY, body text);',
    });
    env = evaluatorEnv(capture, writeRulesFile(ALL_NOTES_RULES), { SYNCLINE_BUCKET_TOPIC: 'off' });
    running = await startInProcess(env);
    state = openDeploymentState(running.config.keyPrefix);
  });

  afterAll(async () => {
    await running?.stop();
    await state?.close();
    await capture?.close();
  });

  it('sends a garbage record to the dead-letter topic with its position and keeps processing', async () => {
    await capture.pg.query(`INSERT INTO notes VALUES (1, 'one')`);
    await syncTo(capture, state);
    const kafka = testKafka(getTestStack().endpoints.kafkaBrokers);
    const producer = kafka.producer();
    await producer.connect();
    const [sent] = await producer.send({
      topic: capture.tableTopic('notes'),
      messages: [{ key: '{"id":99}', value: '{"schema": garbage' }],
    });
    await producer.disconnect();
    await capture.pg.query(`INSERT INTO notes VALUES (2, 'two')`);
    const cp = await syncTo(capture, state);
    const { rows } = await materialize(state, 'all_notes[]', parseOpId(cp.lastOpId));
    expect([...rows.keys()].sort()).toEqual(['notes/1', 'notes/2']);

    const [dead] = await readUntil(
      kafka,
      [topicNamesFor(capture.topicPrefix).deadLetter],
      (r) => r.length >= 1,
    );
    expect(dead!.value).toBe('{"schema": garbage');
    expect(dead!.headers[DEAD_LETTER_HEADERS.reason]).toBe('invalid-json');
    expect(dead!.headers[DEAD_LETTER_HEADERS.topic]).toBe(capture.tableTopic('notes'));
    expect(dead!.headers[DEAD_LETTER_HEADERS.partition]).toBe(String(sent!.partition));
    expect(dead!.headers[DEAD_LETTER_HEADERS.offset]).toBe(sent!.baseOffset);

    const port = running!.evaluator.port!;
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/syncline_evaluator_dead_letters_total\{reason="invalid-json"\} 1/);
    expect(metrics).toMatch(/syncline_evaluator_ops_written_total [1-9]/);
    expect(metrics).toMatch(/syncline_evaluator_is_coordinator 1/);
    // Every stage of the latency breakdown was measured through the real Debezium and Kafka.
    for (const stage of ['debezium', 'transaction_topic', 'processing', 'publish', 'evaluation', 'total'])
      expect(metrics).toMatch(
        new RegExp(`syncline_evaluator_transaction_latency_seconds_count\\{stage="${stage}"\\} [1-9]`),
      );
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
  });

  it('refuses state written in another storage layout and names the reset', async () => {
    await running!.stop();
    running = null;
    // State written before layouts were versioned has no layout field: layout 1.
    await state.redis.hdel(state.keys.meta, 'layout');
    const refused = startEvaluatorProcess(env);
    expect(await refused.exited).toBe(2);
    expect(refused.output()).toMatch(
      new RegExp(
        `holds state in storage layout 1; this evaluator writes layout ${LAYOUT_VERSION}.*--reset`,
        's',
      ),
    );
    await state.redis.hset(state.keys.meta, 'layout', LAYOUT_VERSION);
    running = await startInProcess(env);
  });

  it('refuses to start with other rules against existing state, and starts after --reset', async () => {
    await running!.stop();
    running = null;
    const otherEnv = { ...env, SYNCLINE_RULES_FILE: writeRulesFile(OTHER_RULES) };
    const refused = startEvaluatorProcess(otherEnv);
    expect(await refused.exited).toBe(2);
    expect(refused.output()).toMatch(
      /sync rules changed: Redis prefix .* holds state of rules [0-9a-f]{12}.*--reset/s,
    );

    const reset = startEvaluatorProcess(otherEnv, ['--reset']);
    expect(await reset.exited).toBe(0);
    expect(reset.output()).toMatch(/reset: deleted [1-9]\d* Redis keys; consumer group deleted/);
    expect(await state.reader.currentCheckpoint()).toBeNull();

    const fresh = startEvaluatorProcess(otherEnv);
    try {
      await capture.pg.query(`INSERT INTO notes VALUES (3, 'three')`);
      const cp = await syncTo(capture, state, 90_000);
      const { rows } = await materialize(state, 'all_notes[]', parseOpId(cp.lastOpId));
      // Reprocessed from the start of the change topic with the new rules.
      expect(JSON.parse(rows.get('notes/1')!).body).toBe('ONE');
      expect(JSON.parse(rows.get('notes/3')!).body).toBe('THREE');
    } finally {
      fresh.child.kill('SIGTERM');
      expect(await fresh.exited).toBe(0);
    }
  });
});
