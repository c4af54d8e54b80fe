import { endpointsAsShellExports, endpointsOf, loadStackConfig, StackConfigError } from '../src/index';

describe('stack configuration', () => {
  it('uses documented defaults when no variable is set', () => {
    const c = loadStackConfig({}, '/repo');
    expect(c.ports).toEqual({
      postgres: 54329,
      redis: 63799,
      kafka: 19092,
      kafkaController: 19093,
      connect: 18083,
      registry: 18081,
      registryManagement: 19001,
    });
    expect(c.stateDir).toBe('/repo/.syncline/stack');
    expect(c.topicPrefix).toBe('syncline');
    expect(c.cdcSchemas).toEqual(['public']);
    expect(c.tablePartitions).toBe(4);
  });

  it('reads ports, prefix and schemas from the environment', () => {
    const c = loadStackConfig(
      {
        SYNCLINE_PG_PORT: '6000',
        SYNCLINE_TOPIC_PREFIX: 'app-1',
        SYNCLINE_CDC_SCHEMAS: 'public,sales',
        SYNCLINE_STACK_DIR: '/tmp/s',
      },
      '/repo',
    );
    expect(c.ports.postgres).toBe(6000);
    expect(c.topicPrefix).toBe('app-1');
    expect(c.cdcSchemas).toEqual(['public', 'sales']);
    expect(c.stateDir).toBe('/tmp/s');
  });

  it.each([
    [{ SYNCLINE_PG_PORT: 'abc' }, /SYNCLINE_PG_PORT/],
    [{ SYNCLINE_KAFKA_PORT: '70000' }, /SYNCLINE_KAFKA_PORT/],
    [{ SYNCLINE_TOPIC_PREFIX: 'has space' }, /SYNCLINE_TOPIC_PREFIX/],
    [{ SYNCLINE_KAFKA_HEAP: 'lots' }, /SYNCLINE_KAFKA_HEAP/],
    [{ SYNCLINE_CDC_SCHEMAS: 'Public' }, /SYNCLINE_CDC_SCHEMAS/],
    [{ SYNCLINE_REDIS_PORT: '19092' }, /kafka and redis are both 19092|redis and kafka are both 19092/],
  ])('rejects %j naming the variable', (env, message) => {
    expect(() => loadStackConfig(env, '/repo')).toThrow(StackConfigError);
    expect(() => loadStackConfig(env, '/repo')).toThrow(message);
  });

  it('prints endpoints as shell exports in a stable order, quoting when needed', () => {
    const e = endpointsOf(loadStackConfig({}, '/repo'));
    expect(endpointsAsShellExports(e)).toEqual([
      'export PG_URL=postgres://postgres@127.0.0.1:54329/syncline',
      'export KAFKA_BROKERS=127.0.0.1:19092',
      'export REDIS_URL=redis://127.0.0.1:63799',
      'export CONNECT_URL=http://127.0.0.1:18083',
      'export SCHEMA_REGISTRY_URL=http://127.0.0.1:18081/apis/ccompat/v7',
      'export TOPIC_PREFIX=syncline',
    ]);
    expect(endpointsAsShellExports({ ...e, pgUrl: "postgres://u:p w'x@h/db" })[0]).toBe(
      `export PG_URL='postgres://u:p w'\\''x@h/db'`,
    );
  });
});
