// Rendering the chart for its tests: finding helm (built by infra/bootstrap.sh into
// .syncline/tools/bin), `helm template` and `helm lint` with values given as objects, and the
// rendered manifests parsed.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '@syncline/stack';

export const ROOT = repoRoot();
export const CHART_DIR = path.join(ROOT, 'infra', 'helm', 'syncline');
export const TOOLS_DIR = path.join(ROOT, '.syncline', 'tools');
export const RELEASE = 'sl';
export const NAMESPACE = 'sync';

/** A Kubernetes object as rendered (fields read by the tests are checked where read). */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

export interface HelmRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The pinned helm of .syncline/tools/bin, else one on PATH, else null (the tests then skip). */
export function findHelm(): string | null {
  const pinned = path.join(TOOLS_DIR, 'bin', 'helm');
  if (fs.existsSync(pinned)) return pinned;
  return spawnSync('helm', ['version'], { stdio: 'ignore' }).status === 0 ? 'helm' : null;
}

/** Prints why a test file skips, and returns jest's `it` or `it.skip`. */
export function itWhen(present: boolean, what: string): jest.It {
  if (!present) process.stderr.write(`SKIPPING ${what}: run infra/bootstrap.sh to install it\n`);
  return present ? it : it.skip;
}

function valuesFiles(values: readonly object[]): string[] {
  const dir = fs.mkdtempSync(path.join(tmpdir(), 'syncline-helm-'));
  return values.map((v, i) => {
    const file = path.join(dir, `values-${i}.yaml`);
    fs.writeFileSync(file, JSON.stringify(v)); // JSON is YAML
    return file;
  });
}

export function helm(args: readonly string[]): HelmRun {
  const helmPath = findHelm();
  if (helmPath === null) throw new Error('helm is not installed: run infra/bootstrap.sh');
  const run = spawnSync(helmPath, args, { encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** `helm template` with the values (later ones override earlier ones). */
export function template(values: readonly object[]): HelmRun {
  const files = valuesFiles(values).flatMap((f) => ['-f', f]);
  return helm(['template', RELEASE, CHART_DIR, '--namespace', NAMESPACE, ...files]);
}

/** `helm install --dry-run=client`: renders NOTES.txt too, without a cluster. */
export function dryRunInstall(values: readonly object[]): HelmRun {
  const files = valuesFiles(values).flatMap((f) => ['-f', f]);
  return helm(['install', RELEASE, CHART_DIR, '--namespace', NAMESPACE, '--dry-run=client', ...files]);
}

export function lint(values: readonly object[]): HelmRun {
  const files = valuesFiles(values).flatMap((f) => ['-f', f]);
  return helm(['lint', '--strict', CHART_DIR, '--namespace', NAMESPACE, ...files]);
}

/** Renders and parses; a failed render throws with helm's message. */
export function render(values: readonly object[]): Manifest[] {
  const run = template(values);
  if (run.status !== 0) throw new Error(`helm template failed:\n${run.stderr}`);
  return parseManifests(run.stdout);
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]!.message}`);
      return doc.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null);
}

/** The one manifest of a kind (and name suffix); throws naming what was rendered instead. */
export function find(manifests: readonly Manifest[], kind: string, nameEnd = ''): Manifest {
  const hits = manifests.filter((m) => m.kind === kind && m.metadata.name.endsWith(nameEnd));
  if (hits.length !== 1)
    throw new Error(
      `expected one ${kind} named *${nameEnd}, got ${hits.length}: ${manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(', ')}`,
    );
  return hits[0]!;
}

export const kindsOf = (manifests: readonly Manifest[]): string[] =>
  manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort();
