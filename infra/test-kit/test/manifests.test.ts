// The repository's manifests tell the truth: every package declares exactly what its code
// imports (runtime imports in dependencies, test-only ones in devDependencies or the root's),
// every TypeScript project references exactly the workspace packages its files import, the root
// project builds every project (bench/ and examples/ included, so `npm run typecheck` checks
// them), and no benchmark or example reaches into another package's files by path.
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { repoRoot } from '@syncline/stack';

const ROOT = repoRoot();
const BUILTINS = new Set(builtinModules);

interface Manifest {
  readonly name: string;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly workspaces?: string[];
}

interface TsConfig {
  readonly include?: string[];
  readonly references?: { path: string }[];
}

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;
const rel = (file: string): string => path.relative(ROOT, file);

function workspaceDirs(): string[] {
  const globs = readJson<Manifest>(path.join(ROOT, 'package.json')).workspaces ?? [];
  return globs.flatMap((glob) => {
    if (!glob.endsWith('/*')) return [path.join(ROOT, glob)];
    const parent = path.join(ROOT, glob.slice(0, -2));
    return fs
      .readdirSync(parent)
      .map((d) => path.join(parent, d))
      .filter((d) => fs.existsSync(path.join(d, 'package.json')));
  });
}

/** Source files under `dir` (no node_modules, no build output). */
function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory())
      return entry.name === 'node_modules' || entry.name === 'dist' ? [] : sourceFiles(full);
    return /\.(ts|mts|js|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^import\s+)'([^']+)'/gm;

/** The specifiers a file imports (relative ones included). */
function specifiersOf(file: string): string[] {
  return [...fs.readFileSync(file, 'utf8').matchAll(IMPORT)].map((m) => m[1]!);
}

/** The package a bare specifier names, or null for relative paths and Node built-ins. */
function packageOf(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('node:')) return null;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  return BUILTINS.has(name) ? null : name;
}

const packagesOf = (files: readonly string[]): Set<string> =>
  new Set(files.flatMap(specifiersOf).flatMap((s) => packageOf(s) ?? []));

const workspaces = workspaceDirs().map((dir) => ({
  dir,
  manifest: readJson<Manifest>(path.join(dir, 'package.json')),
}));
const dirOfPackage = new Map(workspaces.map((w) => [w.manifest.name, w.dir]));
const rootDevDependencies = new Set(
  Object.keys(readJson<Manifest>(path.join(ROOT, 'package.json')).devDependencies ?? {}),
);

/** Every tsconfig.json of a folder tree (a package's own and its test project's, if split). */
function tsconfigsUnder(dir: string): string[] {
  return [path.join(dir, 'tsconfig.json'), path.join(dir, 'test', 'tsconfig.json')].filter((f) =>
    fs.existsSync(f),
  );
}

/** Files a tsconfig compiles: its `include` entries (folders or globs of one folder). */
function filesOfTsconfig(file: string): string[] {
  const dir = path.dirname(file);
  const config = readJson<TsConfig>(file);
  const own = (config.include ?? ['.']).flatMap((entry) => {
    const target = path.join(dir, entry.replace(/\/?\*[^/]*$/, ''));
    return fs.existsSync(target) && fs.statSync(target).isDirectory() ? sourceFiles(target) : [];
  });
  // A folder's project leaves a nested project's files (test/tsconfig.json) to that project.
  const nested = tsconfigsUnder(dir).filter((f) => f !== file && path.dirname(f) !== dir);
  return own.filter(
    (f) => !nested.some((n) => f.startsWith(path.dirname(n) + path.sep)) && f.endsWith('.ts'),
  );
}

/** Problems with one tsconfig: workspace packages imported but not referenced, and the reverse. */
function referenceProblems(file: string): string[] {
  const dir = path.dirname(file);
  const referenced = new Set(
    (readJson<TsConfig>(file).references ?? []).map((r) => path.resolve(dir, r.path).replace(/\/test$/, '')),
  );
  const ownPackage = path.resolve(dir).replace(/\/test$/, '');
  const imported = new Set(
    [...packagesOf(filesOfTsconfig(file))]
      .map((name) => dirOfPackage.get(name))
      .filter((d): d is string => d !== undefined && d !== ownPackage),
  );
  const problems: string[] = [];
  for (const d of imported)
    if (!referenced.has(d)) problems.push(`${rel(file)}: imports ${rel(d)} but does not reference it`);
  for (const d of referenced)
    if (!imported.has(d) && d !== ownPackage)
      problems.push(`${rel(file)}: references ${rel(d)} but imports nothing from it`);
  return problems;
}

/**
 * A package's bin/ may load tsx (a root devDependency) to run the TypeScript sources; its
 * production path (compiled, `--conditions=syncline-dist`) never does (docs/deploy.md).
 */
const SOURCE_RUNNER = 'tsx';

function dependencyProblems(dir: string, manifest: Manifest): string[] {
  const files = sourceFiles(dir);
  const isTest = (f: string) => f.includes(`${path.sep}test${path.sep}`);
  const isBin = (f: string) => f.startsWith(path.join(dir, 'bin') + path.sep);
  const runtime = packagesOf(files.filter((f) => !isTest(f)));
  if (!packagesOf(files.filter((f) => !isTest(f) && !isBin(f))).has(SOURCE_RUNNER))
    runtime.delete(SOURCE_RUNNER);
  const tests = packagesOf(files.filter(isTest));
  const deps = new Set(Object.keys(manifest.dependencies ?? {}));
  const devDeps = new Set(Object.keys(manifest.devDependencies ?? {}));
  const where = rel(path.join(dir, 'package.json'));
  const problems: string[] = [];
  for (const p of runtime)
    if (p !== manifest.name && !deps.has(p))
      problems.push(`${where}: code imports ${p}, not in dependencies`);
  for (const p of tests)
    if (p !== manifest.name && !deps.has(p) && !devDeps.has(p) && !rootDevDependencies.has(p))
      problems.push(`${where}: tests import ${p}, declared nowhere`);
  for (const p of deps)
    if (!runtime.has(p)) problems.push(`${where}: dependency ${p} is not imported by its code`);
  for (const p of devDeps)
    if (!tests.has(p) && !runtime.has(p)) problems.push(`${where}: devDependency ${p} is not imported`);
  return problems;
}

/** bench/ and examples/*: projects of their own, importing packages by name only. */
const scriptProjects = [
  path.join(ROOT, 'bench'),
  ...fs.readdirSync(path.join(ROOT, 'examples')).map((d) => path.join(ROOT, 'examples', d)),
].filter((d) => fs.statSync(d).isDirectory());

describe('manifests', () => {
  it.each(workspaces.map((w) => [rel(w.dir), w] as const))(
    '%s declares exactly what it imports',
    (_name, w) => {
      expect(dependencyProblems(w.dir, w.manifest)).toEqual([]);
    },
  );

  it.each([...workspaces.map((w) => w.dir), ...scriptProjects].flatMap(tsconfigsUnder).map((f) => [rel(f)]))(
    '%s references exactly the workspace packages it imports',
    (file) => {
      expect(referenceProblems(path.join(ROOT, file))).toEqual([]);
    },
  );

  it.each(scriptProjects.map((d) => [rel(d)]))('%s is a TypeScript project of its own', (dir) => {
    expect(fs.existsSync(path.join(ROOT, dir, 'tsconfig.json'))).toBe(true);
  });

  it('builds every project from the root tsconfig (bench and examples too)', () => {
    const root = readJson<TsConfig>(path.join(ROOT, 'tsconfig.json'));
    const built = new Set((root.references ?? []).map((r) => path.resolve(ROOT, r.path, 'tsconfig.json')));
    const all = [...workspaces.map((w) => w.dir), ...scriptProjects].flatMap(tsconfigsUnder);
    expect(all.filter((f) => !built.has(f)).map(rel)).toEqual([]);
  });

  it.each(scriptProjects.map((d) => [rel(d)]))('%s imports other packages by name, never by path', (dir) => {
    const reaching = sourceFiles(path.join(ROOT, dir)).flatMap((file) =>
      specifiersOf(file)
        .filter(
          (s) => s.startsWith('.') && !path.resolve(path.dirname(file), s).startsWith(path.join(ROOT, dir)),
        )
        .map((s) => `${rel(file)} imports ${s}`),
    );
    expect(reaching).toEqual([]);
  });
});

// The parts diagram of docs/architecture.md, enforced: what each kind of package may import.
type Kind = 'pure' | 'adapter' | 'runtime' | 'service' | 'front door' | 'infra' | 'test kit' | 'example';

const KIND_OF: Record<string, Kind> = {
  'libs/errors': 'pure',
  'libs/lossless-json': 'pure',
  'libs/sqlite-value': 'pure',
  'libs/protocol': 'pure',
  'libs/sync-rules': 'pure',
  'libs/cdc': 'pure',
  'libs/bucket-store': 'adapter',
  'libs/kafka-topics': 'adapter',
  'libs/bucket-topic': 'adapter',
  'libs/sync-client': 'adapter',
  'libs/service-runtime': 'runtime',
  'services/rules-evaluator': 'service',
  'services/gateway': 'service',
  'services/cli': 'front door',
  'infra/stack': 'infra',
  'infra/compose': 'infra',
  'infra/helm': 'infra',
  'infra/test-kit': 'test kit',
  'examples/todo-web': 'example',
};

const MAY_IMPORT: Record<Kind, readonly Kind[]> = {
  pure: ['pure'],
  adapter: ['pure', 'adapter'],
  runtime: ['pure'],
  service: ['pure', 'adapter', 'runtime'],
  'front door': ['pure', 'adapter', 'runtime', 'service', 'infra'],
  infra: ['pure', 'infra'],
  'test kit': ['pure', 'adapter', 'runtime', 'infra'],
  example: ['pure', 'adapter', 'runtime', 'infra'],
};

/** Packages that talk to the network: never in a pure library's code. */
const NETWORK = new Set([
  'ioredis',
  'kafkajs',
  'pg',
  'express',
  '@confluentinc/schemaregistry',
  'http',
  'https',
  'net',
]);

function layeringProblems(dir: string): string[] {
  const kind = KIND_OF[rel(dir)]!;
  const runtime = sourceFiles(dir).filter((f) => !f.includes(`${path.sep}test${path.sep}`));
  const problems: string[] = [];
  for (const file of runtime)
    for (const spec of specifiersOf(file)) {
      const name = packageOf(spec) ?? (spec.startsWith('node:') ? spec.slice(5) : null);
      if (name === null) continue;
      const target = dirOfPackage.get(name);
      if (target !== undefined && target !== dir && !MAY_IMPORT[kind].includes(KIND_OF[rel(target)]!))
        problems.push(`${rel(file)} (${kind}) imports ${name} (${KIND_OF[rel(target)]})`);
      if (kind === 'pure' && NETWORK.has(name)) problems.push(`${rel(file)} (pure) imports ${name}`);
    }
  return problems;
}

describe('the parts diagram', () => {
  it('gives every package a kind, and docs/architecture.md a row', () => {
    const docs = fs.readFileSync(path.join(ROOT, 'docs', 'architecture.md'), 'utf8');
    const dirs = workspaces.map((w) => rel(w.dir));
    expect(dirs.filter((d) => KIND_OF[d] === undefined)).toEqual([]);
    expect(dirs.filter((d) => !docs.includes(`| \`${d}\``))).toEqual([]);
  });

  it.each(workspaces.map((w) => [rel(w.dir), w.dir] as const))(
    '%s imports only what its kind may',
    (_n, dir) => {
      expect(layeringProblems(dir)).toEqual([]);
    },
  );
});
