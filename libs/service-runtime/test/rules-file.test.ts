import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileSyncRulesFile, loadSyncRulesFile, RulesFileError } from '../src';

const dir = mkdtempSync(join(tmpdir(), 'syncline-rules-file-'));
const write = (name: string, text: string): string => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

describe('sync-rules files', () => {
  it('compiles a file and prints each diagnostic as FILE:LINE:COL: severity: message', async () => {
    const file = write(
      'warned.yaml',
      "bucket_definitions:\n  mine:\n    parameters: SELECT request.parameters() ->> 'p' AS p\n    data:\n      - SELECT * FROM t WHERE p = bucket.p\n",
    );
    const { rules, diagnostics } = await compileSyncRulesFile(file);
    expect(rules).toBeDefined();
    expect(diagnostics.map((d) => d.text)).toEqual([
      expect.stringMatching(new RegExp(`^${file}:3:\\d+: warning: `)),
    ]);
  });

  it('refuses rules with errors, listing each with its position', async () => {
    const file = write(
      'broken.yaml',
      'bucket_definitions:\n  b:\n    data:\n      - SELECT nope(id) FROM t\n',
    );
    expect((await compileSyncRulesFile(file)).rules).toBeUndefined();
    const error = await loadSyncRulesFile(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RulesFileError);
    expect(error).toMatchObject({ code: 'SYNC_E202' });
    expect((error as Error).message).toMatch(
      new RegExp(`^sync rules ${file} do not compile:\\n  ${file}:4:\\d+: error: `),
    );
  });

  it('loads sync streams (edition 3) for serving, as the evaluator and the gateway serve them', async () => {
    const file = write(
      'streams.yaml',
      'config:\n  edition: 3\nstreams:\n  all:\n    auto_subscribe: true\n    query: SELECT * FROM t\n',
    );
    const rules = await loadSyncRulesFile(file);
    expect(rules.hasStreams).toBe(true);
    expect(rules.autoSubscribeStreams).toEqual(['all']);
  });

  it('says which file cannot be read and why (SYNC_E201)', async () => {
    const file = join(dir, 'missing.yaml');
    await expect(compileSyncRulesFile(file)).rejects.toMatchObject({
      code: 'SYNC_E201',
      message: expect.stringMatching(new RegExp(`^cannot read sync rules ${file}: ENOENT`)),
    });
  });
});
