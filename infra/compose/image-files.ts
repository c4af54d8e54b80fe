// The production image's files, in one place for the Dockerfile and the test that installs them
// without Docker: the manifests `npm ci --omit=dev` needs, and the compiled code run from them.
//   node --conditions=syncline-dist infra/compose/dist/image-files.js OUT   (after npm run build)
// writes OUT/manifests and OUT/build.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '@syncline/stack';

/** The package whose runtime closure the image holds: `syncline` runs every service. */
export const IMAGE_ROOT_PACKAGE = '@syncline/cli';
/** Compiled examples the image also runs (their dependencies come with the services'). */
export const IMAGE_EXAMPLES = ['dist/examples/backend'];

interface Manifest {
  readonly name: string;
  readonly dependencies?: Record<string, string>;
  readonly workspaces?: string[];
}

export interface ImageFiles {
  /** package.json, package-lock.json and the runtime workspaces' package.json (repo-relative). */
  readonly manifests: string[];
  /** Compiled JavaScript and bins of the runtime workspaces, and the examples (repo-relative). */
  readonly build: string[];
}

const readManifest = (file: string): Manifest => JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;

/** Workspace folders (repo-relative) by package name. */
function workspacesByName(root: string): Map<string, string> {
  const globs = readManifest(path.join(root, 'package.json')).workspaces ?? [];
  const dirs = globs.flatMap((glob) =>
    glob.endsWith('/*')
      ? fs.readdirSync(path.join(root, glob.slice(0, -2))).map((d) => path.join(glob.slice(0, -2), d))
      : [glob],
  );
  const byName = new Map<string, string>();
  for (const dir of dirs) {
    const file = path.join(root, dir, 'package.json');
    if (fs.existsSync(file)) byName.set(readManifest(file).name, dir);
  }
  return byName;
}

/**
 * The workspaces `syncline` needs at run time: the cli and, transitively, every workspace in the
 * `dependencies` (never devDependencies) of one it needs. Workspaces outside it (the test kit, the
 * demo app) are left out of the image, and `npm ci` then skips their dependencies.
 */
export function runtimeWorkspaces(root: string): string[] {
  const byName = workspacesByName(root);
  const needed = new Set<string>();
  const visit = (name: string): void => {
    const dir = byName.get(name);
    if (dir === undefined || needed.has(dir)) return;
    needed.add(dir);
    Object.keys(readManifest(path.join(root, dir, 'package.json')).dependencies ?? {}).forEach(visit);
  };
  visit(IMAGE_ROOT_PACKAGE);
  return [...needed].sort();
}

/** Files under `dir` (repo-relative) whose names pass `keep`. */
function filesUnder(root: string, dir: string, keep: (name: string) => boolean): string[] {
  const full = path.join(root, dir);
  if (!fs.existsSync(full)) return [];
  return fs.readdirSync(full, { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(root, rel, keep);
    return keep(entry.name) ? [rel] : [];
  });
}

const isCompiled = (name: string): boolean => name.endsWith('.js') || name.endsWith('.json');

export function imageFiles(root: string): ImageFiles {
  const workspaces = runtimeWorkspaces(root);
  const manifests = [
    'package.json',
    'package-lock.json',
    ...workspaces.map((dir) => path.join(dir, 'package.json')),
  ];
  const build = [
    ...workspaces.flatMap((dir) => [
      ...filesUnder(root, path.join(dir, 'dist', 'src'), isCompiled),
      ...filesUnder(root, path.join(dir, 'bin'), () => true),
    ]),
    ...IMAGE_EXAMPLES.flatMap((dir) => filesUnder(root, dir, isCompiled)),
  ];
  return { manifests, build };
}

/** Copies `files` (repo-relative) from `root` to the same paths under `out`. */
export function copyFiles(root: string, files: readonly string[], out: string): void {
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(out, file)), { recursive: true });
    fs.copyFileSync(path.join(root, file), path.join(out, file));
  }
}

/** Throws, naming the fix, when the compiled code the image needs is missing. */
export function checkBuilt(root: string): void {
  const missing = runtimeWorkspaces(root).filter(
    (dir) => !fs.existsSync(path.join(root, dir, 'dist', 'src')),
  );
  if (missing.length > 0 || !fs.existsSync(path.join(root, IMAGE_EXAMPLES[0]!)))
    throw new Error(`not built: ${missing.join(', ') || IMAGE_EXAMPLES[0]} (run npm run build first)`);
}

if (require.main === module) {
  const out = process.argv[2];
  if (out === undefined) {
    process.stderr.write('usage: node --conditions=syncline-dist infra/compose/dist/image-files.js OUT\n');
    process.exit(2);
  }
  const root = repoRoot();
  checkBuilt(root);
  const files = imageFiles(root);
  copyFiles(root, files.manifests, path.join(out, 'manifests'));
  copyFiles(root, files.build, path.join(out, 'build'));
  process.stdout.write(
    `${files.manifests.length} manifests, ${files.build.length} compiled files -> ${out}\n`,
  );
}
