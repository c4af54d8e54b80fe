// Shipped code stays readable at a glance: no source file over 500 lines and no function over 80
// (tests, benchmarks and generated tables aside). A module that grows past that is split by role.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { repoRoot } from '@syncline/stack';

const ROOT = repoRoot();
const MAX_FILE_LINES = 500;
const MAX_FUNCTION_LINES = 80;

/** Every .ts file under a package's src/ in libs/, services/ and infra/. */
function shippedFiles(): string[] {
  const packages = ['libs', 'services', 'infra'].flatMap((top) =>
    fs.readdirSync(path.join(ROOT, top)).map((d) => path.join(ROOT, top, d, 'src')),
  );
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) return walk(full);
      return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [full] : [];
    });
  return packages.filter((d) => fs.existsSync(d)).flatMap(walk);
}

const lineCount = (text: string): number => text.split('\n').length - (text.endsWith('\n') ? 1 : 0);

/** Functions, methods and arrow functions longer than the limit, as `file:line name (n lines)`. */
function longFunctions(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      const name = node.name?.getText(source) ?? '(anonymous)';
      if (lines > MAX_FUNCTION_LINES)
        found.push(`${path.relative(ROOT, file)}:${start + 1} ${name} (${lines} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('code size', () => {
  const files = shippedFiles();

  it('finds the shipped sources', () => {
    expect(files.length).toBeGreaterThan(50);
  });

  it(`has no shipped file over ${MAX_FILE_LINES} lines`, () => {
    const long = files
      .map((f) => ({ f, n: lineCount(fs.readFileSync(f, 'utf8')) }))
      .filter(({ n }) => n > MAX_FILE_LINES)
      .map(({ f, n }) => `${path.relative(ROOT, f)} (${n} lines)`);
    expect(long).toEqual([]);
  });

  it(`has no shipped function over ${MAX_FUNCTION_LINES} lines`, () => {
    expect(files.flatMap(longFunctions)).toEqual([]);
  });
});
