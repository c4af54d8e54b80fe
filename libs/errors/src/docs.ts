// docs/errors.md's tables, rendered from the code table: the docs cannot list a code that does
// not exist or miss one that does. `npm run docs:errors` writes them; a unit test compares.
import { CATEGORIES, type ErrorCategory } from './categories';
import { ERRORS, type ErrorCode } from './codes';
import type { ErrorSpec } from './error-spec';

export const GENERATED_BEGIN =
  '<!-- Generated from libs/errors/src/codes.ts by `npm run docs:errors`; edit the table there. -->';
export const GENERATED_END = '<!-- End of the generated section. -->';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function categoryTable(category: ErrorCategory): string {
  const codes = (Object.keys(ERRORS) as ErrorCode[]).filter((c) => ERRORS[c].category === category);
  const http = codes.some((c) => ERRORS[c].httpStatus !== undefined);
  const { title, digit, seenAs } = CATEGORIES[category];
  const header = ['Code', 'Name', 'Retriable', ...(http ? ['HTTP'] : []), 'Meaning', 'Fix'];
  const row = (code: ErrorCode, spec: ErrorSpec): string[] => [
    `\`${code}\``,
    `\`${spec.title}\``,
    spec.retriable ? 'yes' : 'no',
    ...(http ? [spec.httpStatus === undefined ? '(stream closed)' : String(spec.httpStatus)] : []),
    cell(spec.meaning),
    cell(spec.fix),
  ];
  const lines = [
    `### ${title}: \`SYNC_E${digit}xx\` (category \`${category}\`)`,
    '',
    seenAs,
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...codes.map((c) => `| ${row(c, ERRORS[c]).join(' | ')} |`),
  ];
  return lines.join('\n');
}

/** Every category's table, in code order. */
export function errorCodeTables(): string {
  const categories = (Object.keys(CATEGORIES) as ErrorCategory[]).sort(
    (a, b) => CATEGORIES[a].digit - CATEGORIES[b].digit,
  );
  return categories.map(categoryTable).join('\n\n') + '\n';
}

/** `doc` with the text between the generated-section markers replaced by the current tables. */
export function withErrorCodeTables(doc: string): string {
  const begin = doc.indexOf(GENERATED_BEGIN);
  const end = doc.indexOf(GENERATED_END);
  if (begin < 0 || end < begin)
    throw new Error(`docs/errors.md needs the lines\n${GENERATED_BEGIN}\n${GENERATED_END}`);
  return `${doc.slice(0, begin + GENERATED_BEGIN.length)}\n\n${errorCodeTables()}\n${doc.slice(end)}`;
}
