// What a rendered Deployment's container would run with: its args, its environment with
// Secret and ConfigMap references resolved from the same render, and the files of its
// ConfigMap volumes. The unit tests feed the environment to the services' own config loaders;
// the integration test starts the processes with it.
import { find, type Manifest } from './chart';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    fieldRef?: { fieldPath: string };
  };
}
interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  volumes?: { name: string; configMap?: { name: string } }[];
}

export interface ResolvedContainer {
  readonly command: readonly string[];
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  /** mountPath -> file name -> content */
  readonly mounts: Record<string, Record<string, string>>;
}

export function podSpecOf(workload: Manifest): PodSpec {
  const spec = workload.spec as { template: { spec: PodSpec } };
  return spec.template.spec;
}

function dataOf(manifests: readonly Manifest[], kind: 'Secret' | 'ConfigMap', name: string) {
  const m = manifests.find((x) => x.kind === kind && x.metadata.name === name);
  if (m === undefined) return undefined;
  const decoded = Object.entries((m.data ?? {}) as Record<string, string>).map(
    ([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')] as const,
  );
  const plain = kind === 'Secret' ? Object.fromEntries(decoded) : ((m.data ?? {}) as Record<string, string>);
  return { ...plain, ...((m.stringData ?? {}) as Record<string, string>) };
}

function resolveVar(manifests: readonly Manifest[], v: EnvVar, podName: string): string | undefined {
  if (v.value !== undefined) return v.value;
  const from = v.valueFrom ?? {};
  if (from.fieldRef) {
    if (from.fieldRef.fieldPath !== 'metadata.name')
      throw new Error(`unsupported fieldRef ${from.fieldRef.fieldPath}`);
    return podName;
  }
  const ref = from.secretKeyRef ?? from.configMapKeyRef;
  if (ref === undefined) throw new Error(`env ${v.name}: no value and no supported valueFrom`);
  const data = dataOf(manifests, from.secretKeyRef ? 'Secret' : 'ConfigMap', ref.name);
  const value = data?.[ref.key];
  if (value === undefined && !ref.optional)
    throw new Error(`env ${v.name}: ${ref.name}/${ref.key} is not rendered`);
  return value;
}

/** The first container of the Deployment (or Job) named *`nameEnd`, as its pod `podName` would run it. */
export function resolveContainer(
  manifests: readonly Manifest[],
  kind: 'Deployment' | 'Job',
  nameEnd: string,
  podName: string,
): ResolvedContainer {
  const pod = podSpecOf(find(manifests, kind, nameEnd));
  const c = pod.containers[0]!;
  const env: Record<string, string> = {};
  for (const v of c.env ?? []) {
    const value = resolveVar(manifests, v, podName);
    if (value !== undefined) env[v.name] = value;
  }
  const mounts: Record<string, Record<string, string>> = {};
  for (const m of c.volumeMounts ?? []) {
    const volume = pod.volumes?.find((v) => v.name === m.name);
    if (volume?.configMap === undefined) throw new Error(`volume ${m.name} is not a rendered ConfigMap`);
    mounts[m.mountPath] = dataOf(manifests, 'ConfigMap', volume.configMap.name) ?? {};
  }
  return { command: c.command ?? [], args: c.args ?? [], env, mounts };
}
