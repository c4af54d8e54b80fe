// Bad values fail at install (helm template/install run the same checks) with a message that
// names the value: values.schema.json for types, ranges and typos; the templates for the rules
// that span several values.
import { findHelm, itWhen, template } from './chart';
import { allFeaturesValues, minimalValues } from './values';

const test = itWhen(findHelm() !== null, 'the values schema tests (helm)');

// [what is wrong, values over the minimal ones, what the message must say]
const BAD: readonly [string, object, RegExp][] = [
  ['a replica count as text', { evaluator: { replicas: 'two' } }, /evaluator\/replicas.*(string|integer)/],
  ['a misspelt key', { gateway: { replica: 2 } }, /gateway.*additional properties 'replica' not allowed/],
  ['an unknown log level', { logLevel: 'verbose' }, /logLevel.*(verbose|trace)/],
  [
    'a broker without a port',
    { connections: { kafkaBrokers: 'kafka' } },
    /connections\/kafkaBrokers.*pattern/,
  ],
  [
    'an http URL for Redis',
    { connections: { redisUrl: 'http://redis:6379' } },
    /connections\/redisUrl.*pattern/,
  ],
  ['a short JWT secret', { auth: { secret: 'short' } }, /auth\/secret.*pattern/],
  ['an unknown connector mode', { connector: { mode: 'connect' } }, /connector\/mode.*(strimzi|job)/],
  ['a deployment name with a slash', { deployment: 'prod/eu' }, /deployment.*pattern/],
  [
    'a grace period too short for a batch',
    { evaluator: { terminationGracePeriodSeconds: 1 } },
    /terminationGracePeriodSeconds.*minimum|>= 10/,
  ],
  [
    'an ingress timeout below the keepalive',
    { gateway: { ingress: { streamTimeoutSeconds: 5 } } },
    /streamTimeoutSeconds/,
  ],
  [
    'KEDA scaling the evaluators to zero',
    { evaluator: { autoscaling: { keda: { enabled: true, minReplicas: 0 } } } },
    /evaluator\/autoscaling\/keda\/minReplicas.*minimum|>= 1/,
  ],
  [
    'no key source for JWTs',
    { auth: { secret: '' } },
    /auth\.secret, auth\.keys, auth\.jwksUrls or auth\.existingSecret/,
  ],
  [
    'more evaluators than change-topic partitions',
    { evaluator: { replicas: 6 } },
    /evaluator\.replicas \(6\) exceeds kafka\.changeTopicPartitions \(4\)/,
  ],
  [
    'a KEDA maximum above the partitions',
    {
      kafka: { changeTopicPartitions: 2 },
      evaluator: { replicas: 2, autoscaling: { keda: { enabled: true, maxReplicas: 3 } } },
    },
    /evaluator\.autoscaling\.keda\.maxReplicas \(3\) exceeds kafka\.changeTopicPartitions \(2\)/,
  ],
  [
    'the bucket topic without a registry',
    { connections: { schemaRegistryUrl: '' } },
    /connections\.schemaRegistryUrl is required while evaluator\.bucketTopic\.enabled/,
  ],
  [
    'a Strimzi connector without its KafkaConnect',
    { connector: { ...allFeaturesValues.connector, strimzi: { connectCluster: '' } } },
    /connector\.strimzi\.connectCluster is required/,
  ],
  [
    'a KafkaConnector name Kubernetes refuses',
    { connector: { ...allFeaturesValues.connector, name: 'Sync_Connector' } },
    /connector\.name "Sync_Connector" must be a Kubernetes name/,
  ],
  [
    'a connector Job without a Connect URL',
    { connector: { ...allFeaturesValues.connector, mode: 'job' } },
    /connector\.job\.connectUrl is required/,
  ],
  [
    'a connector without a database password',
    { connector: { mode: 'job', database: { host: 'pg' }, job: { connectUrl: 'http://connect:8083' } } },
    /connector\.database\.password is required/,
  ],
];

describe('values checks', () => {
  test.each(BAD)('refuse %s', (_what, values, message) => {
    const run = template([minimalValues, values]);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(message);
  });

  test('accept the minimal values (so each refusal above is the bad value)', () => {
    expect(template([minimalValues]).status).toBe(0);
  });

  test('accept a Redis Cluster URL', () => {
    const cluster = { connections: { redisUrl: 'redis+cluster://10.0.0.1:6379,10.0.0.2:6379' } };
    expect(template([minimalValues, cluster]).status).toBe(0);
  });
});
