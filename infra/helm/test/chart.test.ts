// The chart renders what docs/deploy.md promises: helm lint passes, the minimal install has the
// two services and nothing optional, every optional feature renders when on, a rules change
// rolls both services, and each service's rendered environment is accepted by its own config
// loader (the same zod schema the process validates at start-up).
import { loadConfig } from '@syncline/rules-evaluator';
import { loadGatewayConfig } from '@syncline/gateway';
import {
  dryRunInstall,
  find,
  findHelm,
  itWhen,
  kindsOf,
  lint,
  render,
  template,
  type Manifest,
} from './chart';
import { podSpecOf, resolveContainer } from './pod';
import { allFeaturesValues, connectorJobValues, minimalValues } from './values';

const test = itWhen(findHelm() !== null, 'the Helm chart tests (helm)');

const podAnnotations = (d: Manifest): Record<string, string> =>
  (d.spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata
    .annotations;

describe('helm chart', () => {
  test('passes helm lint --strict with the minimal values and with every feature on', () => {
    for (const values of [
      [minimalValues],
      [minimalValues, allFeaturesValues],
      [minimalValues, connectorJobValues],
    ]) {
      const run = lint(values);
      expect(`${run.stdout}${run.stderr}`).toContain('0 chart(s) failed');
      expect(run.status).toBe(0);
    }
  });

  test('refuses the defaults alone, naming every value an install must give', () => {
    const run = template([]);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(
      [
        'missing required values:',
        '  - syncRules (the sync rules, PowerSync YAML)',
        '  - connections.kafkaBrokers (or connections.existingSecret)',
        '  - connections.redisUrl (or connections.existingSecret)',
        '  - a key source for client JWTs: auth.secret, auth.keys, auth.jwksUrls or auth.existingSecret',
      ].join('\n'),
    );
  });

  test('renders the two services and nothing optional from the minimal values', () => {
    expect(kindsOf(render([minimalValues]))).toEqual([
      'ConfigMap/sl-syncline-rules',
      'Deployment/sl-syncline-evaluator',
      'Deployment/sl-syncline-gateway',
      'PodDisruptionBudget/sl-syncline-evaluator',
      'PodDisruptionBudget/sl-syncline-gateway',
      'Secret/sl-syncline-connections',
      'Secret/sl-syncline-jwt',
      'Service/sl-syncline-gateway',
    ]);
  });

  test('renders every optional feature when on', () => {
    const kinds = kindsOf(render([minimalValues, allFeaturesValues]));
    for (const k of [
      'ScaledObject/sl-syncline-evaluator',
      'HorizontalPodAutoscaler/sl-syncline-gateway',
      'Ingress/sl-syncline-gateway',
      'ServiceMonitor/sl-syncline',
      'Service/sl-syncline-evaluator-metrics',
      'KafkaConnector/syncline-postgres',
      'Role/sl-syncline-connector-secret',
      'RoleBinding/sl-syncline-connector-secret',
    ])
      expect(kinds).toContain(k);
    expect(kinds).not.toContain('HorizontalPodAutoscaler/sl-syncline-evaluator');
    const job = kindsOf(render([minimalValues, connectorJobValues]));
    expect(job).toEqual(
      expect.arrayContaining(['Job/sl-syncline-connector', 'ConfigMap/sl-syncline-connector']),
    );
  });

  test('scales the evaluators on their consumer group lag with KEDA, or on CPU without it', () => {
    const scaled = find(render([minimalValues, allFeaturesValues]), 'ScaledObject');
    expect(scaled.spec).toMatchObject({
      scaleTargetRef: { name: 'sl-syncline-evaluator' },
      maxReplicaCount: 4,
      triggers: [
        {
          type: 'kafka',
          metadata: {
            bootstrapServersFromEnv: 'KAFKA_BROKERS',
            consumerGroup: 'syncline-evaluator.default.1',
          },
          authenticationRef: { name: 'kafka-tls' },
        },
      ],
    });
    const hpa = render([minimalValues, { evaluator: { autoscaling: { hpa: { enabled: true } } } }]);
    expect(find(hpa, 'HorizontalPodAutoscaler', '-evaluator').spec).toMatchObject({ maxReplicas: 4 });
    expect(find(hpa, 'Deployment', '-evaluator').spec as object).not.toHaveProperty('replicas');
  });

  test('gives the ingress what a sync stream needs from nginx', () => {
    const ingress = find(render([minimalValues, allFeaturesValues]), 'Ingress');
    expect(ingress.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
      'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
    });
  });

  test('rolls both services when the sync rules change, and only then', () => {
    const annotationsOf = (extra: object) => {
      const m = render([minimalValues, extra]);
      return ['-evaluator', '-gateway'].map(
        (n) => podAnnotations(find(m, 'Deployment', n))['checksum/sync-rules'],
      );
    };
    const before = annotationsOf({});
    expect(annotationsOf({ logLevel: 'debug' })).toEqual(before);
    const after = annotationsOf({ syncRules: `${minimalValues.syncRules}# changed\n` });
    expect(after[0]).not.toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);
  });

  test('probes each service on its HTTP port, drops its privileges and spreads the evaluators over nodes', () => {
    const m = render([minimalValues]);
    const evaluator = podSpecOf(find(m, 'Deployment', '-evaluator')) as unknown as Record<string, unknown>;
    expect(evaluator.terminationGracePeriodSeconds).toBe(60);
    expect(evaluator.affinity).toHaveProperty(
      'podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution',
    );
    for (const name of ['-evaluator', '-gateway']) {
      const c = podSpecOf(find(m, 'Deployment', name)).containers[0] as unknown as Record<string, unknown>;
      expect(c.livenessProbe).toMatchObject({ httpGet: { path: '/healthz', port: 'http' } });
      expect(c.readinessProbe).toMatchObject({ httpGet: { path: '/readyz', port: 'http' } });
      expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    }
  });

  test("renders environments the services' own config loaders accept", () => {
    const m = render([minimalValues, allFeaturesValues]);
    const e = resolveContainer(m, 'Deployment', '-evaluator', 'sl-syncline-evaluator-0');
    expect(e.args).toEqual(['evaluator', '--rules', '/etc/syncline/sync-rules.yaml']);
    const evaluator = loadConfig({ ...e.env, SYNCLINE_RULES_FILE: e.args[2] });
    expect(evaluator).toMatchObject({
      brokers: ['kafka-0.kafka:9092', 'kafka-1.kafka:9092'],
      groupId: 'syncline-evaluator.default.1',
      instanceId: 'sl-syncline-evaluator-0',
      sessionTimeoutMs: 20000,
      signalTable: 'public.debezium_signal',
    });
    expect(e.mounts['/etc/syncline']).toEqual({ 'sync-rules.yaml': minimalValues.syncRules });
    const g = resolveContainer(m, 'Deployment', '-gateway', 'sl-syncline-gateway-0');
    expect(g.args).toEqual(['gateway', '--rules', '/etc/syncline/sync-rules.yaml']);
    const gateway = loadGatewayConfig({ ...g.env, SYNCLINE_RULES_FILE: g.args[2] });
    expect(gateway.auth).toMatchObject({
      secret: minimalValues.auth.secret,
      jwksUrls: allFeaturesValues.auth.jwksUrls,
      audiences: ['app', 'syncline'],
    });
    expect(gateway.limits.maxConnections).toBe(5000);
    expect(gateway.keyPrefix).toBe(evaluator.keyPrefix);
  });

  test('says after install how to reach the gateway and check both services', () => {
    const notesOf = (values: object[]) => {
      const run = dryRunInstall(values);
      expect(run.status).toBe(0);
      return run.stdout.slice(run.stdout.indexOf('NOTES:'));
    };
    const plain = notesOf([minimalValues]);
    expect(plain).toContain('kubectl port-forward -n sync service/sl-syncline-gateway 8080:80');
    expect(plain).toContain('curl -s http://127.0.0.1:8080/readyz');
    expect(plain).toContain('kubectl port-forward -n sync deployment/sl-syncline-evaluator 9464:9464');
    expect(notesOf([minimalValues, allFeaturesValues])).toContain('https://sync.example.com');
    expect(notesOf([minimalValues, connectorJobValues])).toContain(
      'kubectl logs -n sync job/sl-syncline-connector',
    );
  });
});
