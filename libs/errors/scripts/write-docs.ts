// `npm run docs:errors`: rewrites the generated tables of docs/errors.md from the code table.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withErrorCodeTables } from '../src/docs';

const file = join(__dirname, '../../../docs/errors.md');
writeFileSync(file, withErrorCodeTables(readFileSync(file, 'utf8')));
process.stdout.write(`wrote ${file}\n`);
