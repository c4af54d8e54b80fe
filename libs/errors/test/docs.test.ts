// docs/errors.md lists exactly the codes of the table, as the generated tables show them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERRORS, type ErrorCode } from '../src';
import { withErrorCodeTables } from '../src/docs';

const DOC_FILE = join(__dirname, '../../../docs/errors.md');
const doc = readFileSync(DOC_FILE, 'utf8');
const documented = new Set(doc.match(/SYNC_E\d{3}/g) ?? []);
const defined = Object.keys(ERRORS) as ErrorCode[];

describe('docs/errors.md', () => {
  it('documents every code of the table', () => {
    expect(defined.filter((code) => !documented.has(code))).toEqual([]);
  });

  it('lists no code the table does not define', () => {
    expect([...documented].filter((code) => !(code in ERRORS))).toEqual([]);
  });

  it('has the tables generated from the current code table (run `npm run docs:errors`)', () => {
    expect(doc).toBe(withErrorCodeTables(doc));
  });
});
