// What a user sees when the evaluator cannot start: the message they had before, its code, and
// the exit code of its category. None of these cases reaches Redis or Kafka.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitCodeOf } from '@syncline/errors';
import { ConfigError, loadConfig } from '../src/config';
import { loadSyncRulesFile, RulesFileError } from '@syncline/service-runtime';
import { runEvaluator } from '../src/run';

const dir = mkdtempSync(join(tmpdir(), 'syncline-evaluator-errors-'));
const VALID_ENV = {
  KAFKA_BROKERS: '127.0.0.1:1',
  REDIS_URL: 'redis://127.0.0.1:1',
  SYNCLINE_TOPIC_PREFIX: 'app',
  SYNCLINE_BUCKET_TOPIC: 'off',
};

async function run(env: NodeJS.ProcessEnv): Promise<{ code: number; err: string[] }> {
  const err: string[] = [];
  const code = await runEvaluator(env, { err: (line) => err.push(line) });
  return { code, err };
}

describe('evaluator start-up errors', () => {
  it('names each invalid variable, carries SYNC_E101 and exits 2', async () => {
    const { code, err } = await run({ SYNCLINE_RULES_FILE: 'rules.yaml', REDIS_URL: 'http://x' });
    expect(code).toBe(2);
    expect(err).toEqual([
      [
        'syncline evaluator: [SYNC_E101] invalid evaluator configuration:',
        '  KAFKA_BROKERS: Required (not set)',
        '  REDIS_URL: redis:// or rediss:// URL, or redis+cluster://host:port,host:port,... (rediss+cluster:// for TLS) (got "http://x")',
        '  SYNCLINE_TOPIC_PREFIX: Required (not set)',
        'See docs/evaluator.md.',
      ].join('\n'),
    ]);
  });

  it('names a variable another one requires', () => {
    const env = { ...VALID_ENV, SYNCLINE_RULES_FILE: 'r.yaml', SYNCLINE_BUCKET_TOPIC: 'on' };
    expect(() => loadConfig(env)).toThrow(
      new ConfigError(
        'invalid evaluator configuration:\n  SCHEMA_REGISTRY_URL: required while SYNCLINE_BUCKET_TOPIC=on (not set)',
      ),
    );
  });

  it('reports an unreadable rules file as SYNC_E201 and exits 2', async () => {
    const file = join(dir, 'missing.yaml');
    await expect(loadSyncRulesFile(file, { defaultSchema: 'public' })).rejects.toMatchObject({
      name: 'RulesFileError',
      code: 'SYNC_E201',
      message: expect.stringMatching(new RegExp(`^cannot read sync rules ${file}: ENOENT`)),
    });
    const { code, err } = await run({ ...VALID_ENV, SYNCLINE_RULES_FILE: file });
    expect(code).toBe(2);
    expect(err[0]).toMatch(/^syncline evaluator: \[SYNC_E201\] cannot read sync rules /);
  });

  it('reports rules that do not compile as SYNC_E202 with file:line:column', async () => {
    const file = join(dir, 'invalid.yaml');
    writeFileSync(file, 'bucket_definitions:\n  b:\n    data:\n      - SELECT nope(id) FROM t\n');
    const error = await loadSyncRulesFile(file, { defaultSchema: 'public' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RulesFileError);
    expect((error as RulesFileError).code).toBe('SYNC_E202');
    expect((error as Error).message).toMatch(
      new RegExp(`^sync rules ${file} do not compile:\\n  ${file}:4:`),
    );
    expect(exitCodeOf(error)).toBe(2);
  });
});
