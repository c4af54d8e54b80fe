#!/usr/bin/env node
// Entry point for `syncline`. Two ways to run, chosen by Node's export condition:
// - by default (`npx syncline` in the repository) the packages resolve to their TypeScript
//   sources and tsx compiles them on load, so the command always matches the checked-out code;
// - with `--conditions=syncline-dist` (production: the image sets it in NODE_OPTIONS) every
//   @syncline package resolves to its compiled `dist/`, and tsx, a devDependency, is never loaded.
'use strict';
const entry = require.resolve('@syncline/cli');
if (entry.endsWith('.ts')) {
  try {
    require.resolve('tsx/cjs');
  } catch {
    process.stderr.write(
      'syncline: the TypeScript sources need tsx (npm ci installs it); to run the compiled build instead: ' +
        'npm run build, then node --conditions=syncline-dist services/cli/bin/syncline.js\n',
    );
    process.exit(1);
  }
  require('tsx/cjs');
}
const { main } = require(entry);
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`syncline: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
