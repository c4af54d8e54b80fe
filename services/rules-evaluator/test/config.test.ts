// The evaluator's compaction and row-state cache settings, validated once at start-up like every other variable.
import { ConfigError, loadConfig } from '../src/config';

const VALID_ENV = {
  SYNCLINE_RULES_FILE: 'rules.yaml',
  KAFKA_BROKERS: '127.0.0.1:1',
  REDIS_URL: 'redis://127.0.0.1:1',
  SYNCLINE_TOPIC_PREFIX: 'app',
  SYNCLINE_BUCKET_TOPIC: 'off',
};

describe('compaction configuration', () => {
  it('compacts by default, every 5 s, 500 ops per step', () => {
    expect(loadConfig(VALID_ENV)).toMatchObject({
      compaction: true,
      compactionIntervalMs: 5000,
      compactionStepOps: 500,
    });
  });

  it('reads the three variables', () => {
    const env = {
      ...VALID_ENV,
      SYNCLINE_COMPACTION: 'off',
      SYNCLINE_COMPACTION_INTERVAL_MS: '250',
      SYNCLINE_COMPACTION_STEP_OPS: '2',
    };
    expect(loadConfig(env)).toMatchObject({
      compaction: false,
      compactionIntervalMs: 250,
      compactionStepOps: 2,
    });
  });

  it.each([
    ['SYNCLINE_COMPACTION', 'yes'],
    ['SYNCLINE_COMPACTION', 'ON'],
    ['SYNCLINE_COMPACTION_INTERVAL_MS', '0'],
    ['SYNCLINE_COMPACTION_INTERVAL_MS', '99'],
    ['SYNCLINE_COMPACTION_INTERVAL_MS', 'often'],
    ['SYNCLINE_COMPACTION_STEP_OPS', '1'],
    ['SYNCLINE_COMPACTION_STEP_OPS', '2.5'],
    ['SYNCLINE_COMPACTION_STEP_OPS', '1000001'],
  ])('refuses %s=%s at start-up, naming the variable', (name, value) => {
    const load = () => loadConfig({ ...VALID_ENV, [name]: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(new RegExp(`^invalid evaluator configuration:\\n  ${name}: `));
  });
});

describe('row-state cache configuration', () => {
  it('keeps 200,000 rows by default', () => {
    expect(loadConfig(VALID_ENV).rowStateCacheRows).toBe(200_000);
  });

  it.each([
    ['1000', 1000],
    ['10000', 10_000],
    ['10000000', 10_000_000],
  ])('reads SYNCLINE_ROW_STATE_CACHE_ROWS=%s', (value, rows) => {
    expect(loadConfig({ ...VALID_ENV, SYNCLINE_ROW_STATE_CACHE_ROWS: value }).rowStateCacheRows).toBe(rows);
  });

  it.each(['999', '10000001', '0', '-5', '1e3.5', 'many', '2500.5'])(
    'refuses SYNCLINE_ROW_STATE_CACHE_ROWS=%s at start-up, naming the variable',
    (value) => {
      const load = () => loadConfig({ ...VALID_ENV, SYNCLINE_ROW_STATE_CACHE_ROWS: value });
      expect(load).toThrow(ConfigError);
      expect(load).toThrow(/^invalid evaluator configuration:\n {2}SYNCLINE_ROW_STATE_CACHE_ROWS: /);
    },
  );
});

describe('change format configuration', () => {
  it('reads JSON change events by default', () => {
    expect(loadConfig(VALID_ENV)).toMatchObject({ changeFormat: 'json', avroRegistryUrl: null });
  });

  it('reads Avro with the registry v2 API it fetches writer schemas from', () => {
    const url = 'http://127.0.0.1:18081/apis/registry/v2';
    expect(
      loadConfig({ ...VALID_ENV, SYNCLINE_CHANGE_FORMAT: 'avro', SYNCLINE_AVRO_REGISTRY_URL: url }),
    ).toMatchObject({ changeFormat: 'avro', avroRegistryUrl: url });
  });

  it('refuses avro without SYNCLINE_AVRO_REGISTRY_URL, naming the variable', () => {
    expect(() => loadConfig({ ...VALID_ENV, SYNCLINE_CHANGE_FORMAT: 'avro' })).toThrow(
      /SYNCLINE_AVRO_REGISTRY_URL: required while SYNCLINE_CHANGE_FORMAT=avro/,
    );
  });

  it.each([
    ['SYNCLINE_CHANGE_FORMAT', 'protobuf'],
    ['SYNCLINE_AVRO_REGISTRY_URL', 'http://127.0.0.1:18081/apis/ccompat/v7'],
  ])('rejects %s=%s', (name, value) => {
    expect(() => loadConfig({ ...VALID_ENV, [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...VALID_ENV, [name]: value })).toThrow(name);
  });
});
