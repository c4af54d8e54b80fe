// What the chart renders is valid Kubernetes, offline: the built-in kinds against the Kubernetes
// JSON schemas of kubernetes-validate (strict: unknown fields are errors) for the oldest and the
// newest Kubernetes the chart supports; the ScaledObject and the KafkaConnector against the
// KEDA and Strimzi CRDs (fetched by infra/helm/fetch-crds.sh). Each validator is first shown to
// reject a broken manifest, so a pass means something.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TOOLS_DIR, find, findHelm, itWhen, render, type Manifest } from './chart';
import { allFeaturesValues, connectorJobValues, minimalValues } from './values';

const VALIDATE = path.join(TOOLS_DIR, 'kubernetes-validate', 'bin', 'kubernetes-validate');
const PYTHON = path.join(TOOLS_DIR, 'kubernetes-validate', 'bin', 'python');
const CRDS = {
  ScaledObject: path.join(TOOLS_DIR, 'crds', 'keda-v2.21.1-scaledobjects.yaml'),
  KafkaConnector: path.join(TOOLS_DIR, 'crds', 'strimzi-1.2.0-kafkaconnectors.yaml'),
};
const CUSTOM = new Set(['ScaledObject', 'KafkaConnector', 'ServiceMonitor']);
const KUBERNETES = ['1.25.0', '1.37.0']; // Chart.yaml's kubeVersion floor, and the newest schemas

const ready = findHelm() !== null && fs.existsSync(VALIDATE);
const test = itWhen(ready, 'the Kubernetes schema tests (helm, kubernetes-validate)');
const crdTest = itWhen(
  ready && Object.values(CRDS).every((f) => fs.existsSync(f)),
  'the CRD schema tests (CRDs)',
);

function writeManifests(manifests: readonly Manifest[]): string {
  const file = path.join(fs.mkdtempSync(path.join(tmpdir(), 'syncline-kv-')), 'manifests.yaml');
  // JSON (which is YAML) quotes every string: YAML 1.1 readers take a bare `on` or `off` for a boolean.
  fs.writeFileSync(file, manifests.map((m) => JSON.stringify(m)).join('\n---\n'));
  return file;
}

function kubernetesValidate(manifests: readonly Manifest[], version: string) {
  const file = writeManifests(manifests.filter((m) => !CUSTOM.has(m.kind)));
  return spawnSync(VALIDATE, ['--strict', '--quiet', '-k', version, file], { encoding: 'utf8' });
}

function crdValidate(kind: keyof typeof CRDS, manifests: readonly Manifest[]) {
  const script = path.join(__dirname, 'validate-crd.py');
  return spawnSync(PYTHON, [script, CRDS[kind], writeManifests(manifests)], { encoding: 'utf8' });
}

const renders = {
  minimal: () => render([minimalValues]),
  'every feature on': () => render([minimalValues, allFeaturesValues]),
  'the connector Job': () => render([minimalValues, connectorJobValues]),
  'the evaluator HPA': () =>
    render([minimalValues, { evaluator: { autoscaling: { hpa: { enabled: true } } } }]),
};

describe('rendered manifests', () => {
  test('the Kubernetes validator rejects a broken Deployment', () => {
    const d = find(renders.minimal(), 'Deployment', '-gateway');
    const broken = { ...d, spec: { ...(d.spec as object), replicas: 'two' } };
    const run = kubernetesValidate([broken], '1.37.0');
    expect(run.status).not.toBe(0);
    expect(run.stdout + run.stderr).toMatch(/spec\.replicas: 'two' is not of type 'integer'/);
  });

  test.each(Object.keys(renders))("validate against Kubernetes' schemas: %s", (name) => {
    const manifests = renders[name as keyof typeof renders]();
    for (const version of KUBERNETES) {
      const run = kubernetesValidate(manifests, version);
      expect({ version, out: run.stdout + run.stderr }).toEqual({ version, out: '' });
      expect(run.status).toBe(0);
    }
  });

  crdTest('the CRD validator rejects an unknown field and a wrong type', () => {
    const scaled = find(renders['every feature on'](), 'ScaledObject');
    const broken = {
      ...scaled,
      spec: { ...(scaled.spec as object), maxReplicas: 4, pollingInterval: 'often' },
    };
    const run = crdValidate('ScaledObject', [broken]);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(
      /spec: Additional properties are not allowed \('maxReplicas' was unexpected\)/,
    );
    expect(run.stdout).toMatch(/spec\.pollingInterval: 'often' is not of type 'integer'/);
  });

  crdTest.each(['ScaledObject', 'KafkaConnector'] as const)('validate against the %s CRD', (kind) => {
    const run = crdValidate(kind, renders['every feature on']());
    expect(run.stdout.trim()).toBe(`validated 1 ${kind}`);
    expect(run.status).toBe(0);
  });
});
