// `syncline rules validate|eval|buckets` through main(), and once through the real binary.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CliIo } from '../src/io';
import { main } from '../src/main';
// main() loads a command's module only when it runs; loaded here, with the test file, the cost of
// compiling it stays out of the first test's timeout.
import '../src/commands/rules';

const dir = mkdtempSync(join(tmpdir(), 'syncline-rules-'));
function rulesFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const valid = rulesFile(
  'valid.yaml',
  `bucket_definitions:
  by_list:
    parameters: SELECT id AS list_id FROM lists WHERE owner_id = request.user_id()
    data:
      - SELECT * FROM todos WHERE list_id = bucket.list_id
  by_user:
    parameters: SELECT request.user_id() AS user_id
    priority: 1
    data:
      - SELECT id, upper(title) AS title FROM todos WHERE owner_id = bucket.user_id
`,
);
const streams = rulesFile(
  'streams.yaml',
  `config:
  edition: 3
streams:
  lists:
    auto_subscribe: true
    query: SELECT * FROM lists WHERE owner_id = auth.user_id()
  notes:
    query: SELECT * FROM notes WHERE is_public OR auth.parameter('admin')
`,
);
const invalid = rulesFile(
  'invalid.yaml',
  `bucket_definitions:
  b:
    data:
      - SELECT name FROM todos WHERE nope(name)
`,
);
const warning = rulesFile(
  'warning.yaml',
  `bucket_definitions:
  b:
    parameters: SELECT user_parameters.team AS team
    data: [SELECT id FROM todos WHERE team = bucket.team]
`,
);

async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), interactive: false };
  const code = await main(argv, io);
  return { code, out, err };
}

describe('syncline rules validate', () => {
  test('prints FILE:LINE:COL diagnostics and exits 1 on errors', async () => {
    const { code, out } = await run('rules', 'validate', invalid);
    expect(code).toBe(1);
    expect(out).toEqual([
      `${invalid}:4:9: error: Query must return an "id" column`,
      `${invalid}:4:38: error: Function 'nope' is not defined`,
    ]);
  });

  test('exits 0 on a valid file and reports warnings', async () => {
    const ok = await run('rules', 'validate', valid);
    expect(ok.code).toBe(0);
    expect(ok.out[0]).toMatch(/valid \(2 bucket definitions, 4 queries, hash [0-9a-f]{12}\)$/);
    const warned = await run('rules', 'validate', warning);
    expect(warned.code).toBe(0);
    expect(warned.out[0]).toMatch(
      new RegExp(
        `^${warning.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:24: warning: Potentially dangerous query`,
      ),
    );
  });

  test('accepts an edition-3 (sync streams) file and counts its streams and buckets', async () => {
    const ok = await run('rules', 'validate', streams);
    expect(ok.code).toBe(0);
    expect(ok.out).toHaveLength(1);
    expect(ok.out[0]).toMatch(/valid \(2 streams, 3 buckets, 3 data queries, hash [0-9a-f]{12}\)$/);
  });

  test('usage errors exit 2', async () => {
    expect((await run('rules', 'validate')).code).toBe(2);
    expect((await run('rules', 'validate', join(dir, 'missing.yaml'))).err[0]).toMatch(/cannot read/);
    expect((await run('rules', 'frobnicate')).code).toBe(2);
  });
});

describe('syncline rules buckets with sync streams', () => {
  const rows = '{"lists":[{"id":"l1","owner_id":"u1"},{"id":"l2","owner_id":"u2"}]}';
  const todos = rulesFile(
    'todos-streams.yaml',
    `config:
  edition: 3
streams:
  lists:
    auto_subscribe: true
    query: SELECT * FROM lists WHERE owner_id = auth.user_id()
  todos:
    priority: 2
    query: SELECT * FROM todos WHERE list_id IN (SELECT id FROM lists WHERE owner_id = auth.user_id())
  list:
    accept_potentially_dangerous_queries: true
    query: SELECT * FROM todos WHERE list_id = subscription.parameter('id')
`,
  );

  test('prints each bucket with its priority and the subscriptions that reached it', async () => {
    const { code, out } = await run(
      'rules',
      'buckets',
      todos,
      '--token',
      '{"sub":"u1"}',
      '--rows',
      rows,
      '--subscription',
      'todos',
      '--subscription',
      'list={"id":"l1"}',
      '--subscription',
      'lists',
    );
    expect(code).toBe(0);
    expect(out).toEqual([
      '1#todos|0["l1"]\tpriority=2\tsubscriptions=0:todos,1:list',
      '1#lists|0["u1"]\tpriority=3\tsubscriptions=2:lists,default',
    ]);
  });

  test('--no-defaults leaves out the auto_subscribe streams', async () => {
    const { code, out } = await run('rules', 'buckets', todos, '--token', '{"sub":"u1"}', '--no-defaults');
    expect(code).toBe(0);
    expect(out).toEqual([]);
  });

  test('--subscription needs an edition-3 file', async () => {
    const { code, err } = await run(
      'rules',
      'buckets',
      valid,
      '--token',
      '{"sub":"u1"}',
      '--subscription',
      'x',
    );
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/need an edition-3/);
  });
});

describe('syncline rules eval', () => {
  test('prints one JSON line per op, with exact 64-bit integers', async () => {
    const { code, out } = await run(
      'rules',
      'eval',
      valid,
      '--table',
      'todos',
      '--row',
      '{"id":9007199254740993,"list_id":"l1","owner_id":"u1","title":"hi","done":true}',
    );
    expect(code).toBe(0);
    expect(out).toEqual([
      '{"bucket":"by_list[\\"l1\\"]","outputTable":"todos","id":"9007199254740993","data":{"id":9007199254740993,"list_id":"l1","owner_id":"u1","title":"hi","done":1}}',
      '{"bucket":"by_user[\\"u1\\"]","outputTable":"todos","id":"9007199254740993","data":{"id":9007199254740993,"title":"HI"}}',
    ]);
  });

  test('prints parameter lookup entries for tables read by parameter queries', async () => {
    const { out } = await run(
      'rules',
      'eval',
      valid,
      '--table',
      'lists',
      '--row',
      '{"id":"l1","owner_id":"u1"}',
    );
    expect(out).toEqual(['{"lookup":"by_list/0[\\"u1\\"]","parameters":{"list_id":"l1"}}']);
  });

  test('requires --table and --row', async () => {
    const { code, err } = await run('rules', 'eval', valid, '--table', 'todos');
    expect(code).toBe(2);
    expect(err[0]).toMatch(/--row is required/);
  });
});

describe('syncline rules buckets', () => {
  test('prints bucket names with priorities from the token, params and rows', async () => {
    const rows = JSON.stringify({
      lists: [
        { id: 'l1', owner_id: 'u1' },
        { id: 'l2', owner_id: 'u2' },
      ],
    });
    const { code, out } = await run('rules', 'buckets', valid, '--token', '{"sub":"u1"}', '--rows', rows);
    expect(code).toBe(0);
    expect(out).toEqual(['by_user["u1"]\tpriority=1', 'by_list["l1"]\tpriority=3']);
  });

  test('exits 1 with diagnostics on stderr when the rules are invalid', async () => {
    const { code, err } = await run('rules', 'buckets', invalid, '--token', '{"sub":"u1"}');
    expect(code).toBe(1);
    expect(err).toHaveLength(2);
  });
});

describe('the real binary', () => {
  test('validate exits 1 and prints diagnostics', async () => {
    const bin = join(__dirname, '..', 'bin', 'syncline.js');
    const result = await promisify(execFile)('node', [bin, 'rules', 'validate', invalid]).then(
      () => ({ code: 0, stdout: '' }),
      (e: { code: number; stdout: string }) => e,
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`${invalid}:4:38: error: Function 'nope' is not defined`);
  }, 30000);
});

describe('the binary without the files its condition points to', () => {
  // A copy of the package's manifest and bin, without src/ and dist/: the bin resolves its own
  // package by name (self-reference), as in the image, where only dist/ exists.
  const pkg = mkdtempSync(join(tmpdir(), 'syncline-bin-'));
  mkdirSync(join(pkg, 'bin'));
  copyFileSync(join(__dirname, '..', 'bin', 'syncline.js'), join(pkg, 'bin', 'syncline.js'));
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as object;
  writeFileSync(join(pkg, 'package.json'), JSON.stringify(manifest));
  const runBin = (nodeArgs: string[]) =>
    promisify(execFile)('node', [...nodeArgs, join(pkg, 'bin', 'syncline.js'), '--help'], {
      env: { ...process.env, NODE_OPTIONS: '' },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );

  test('no TypeScript sources (an image run without the condition): says to keep the condition', async () => {
    const { code, stderr } = await runBin([]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^syncline: Cannot find module '.*main\.ts': only the compiled build is here/);
    expect(stderr).toContain('NODE_OPTIONS="--conditions=syncline-dist ...")');
    expect(stderr).not.toContain('    at ');
  }, 30000);

  test('no compiled build under the condition: says to build', async () => {
    const { code, stderr } = await runBin(['--conditions=syncline-dist']);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^syncline: Cannot find module '.*main\.js': the compiled build is missing \(npm run build\)/,
    );
    expect(stderr).not.toContain('    at ');
  }, 30000);
});
