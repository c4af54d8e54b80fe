// docs/evaluator.md documents exactly the variables CONFIG_SCHEMA reads (its Configuration table).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_SCHEMA } from '../src/config';

const doc = readFileSync(join(__dirname, '../../../docs/evaluator.md'), 'utf8');
const section = doc.slice(
  doc.indexOf('## Configuration'),
  doc.indexOf('\n## ', doc.indexOf('## Configuration') + 1),
);
/** The first cell of each table row: `| \`NAME\` | default | meaning |`. */
const documented = [...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]!);
const read = Object.keys(CONFIG_SCHEMA.shape);

describe('docs/evaluator.md configuration table', () => {
  it('documents every variable the evaluator reads', () => {
    expect(read.filter((name) => !documented.includes(name))).toEqual([]);
  });

  it('documents no variable the evaluator does not read', () => {
    expect(documented.filter((name) => !read.includes(name))).toEqual([]);
  });
});
