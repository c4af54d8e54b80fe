#!/usr/bin/env node
// Entry point for `syncline`. Two ways to run, chosen by Node's export condition:
// - by default (`npx syncline` in the repository) the packages resolve to their TypeScript
//   sources and tsx compiles them on load, so the command always matches the checked-out code;
// - with `--conditions=syncline-dist` (production: the image sets it in NODE_OPTIONS) every
//   @syncline package resolves to its compiled `dist/`, and tsx, a devDependency, is never loaded.
'use strict';
const entry = resolveEntry();
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

// A missing entry gets a message, not a stack trace: in a built image without the condition (a
// NODE_OPTIONS of the container's own replaces the image's) the TypeScript sources are not there;
// with the condition before `npm run build`, the compiled files are not.
function resolveEntry() {
  try {
    return require.resolve('@syncline/cli');
  } catch (err) {
    if (!err || err.code !== 'MODULE_NOT_FOUND') throw err;
    const missing = String(err.message).split('\n')[0];
    process.stderr.write(
      /\.ts'?$/.test(missing)
        ? `syncline: ${missing}: only the compiled build is here; run it with --conditions=syncline-dist ` +
            '(in the image, keep it when setting a NODE_OPTIONS of your own: ' +
            'NODE_OPTIONS="--conditions=syncline-dist ...")\n'
        : `syncline: ${missing}: the compiled build is missing (npm run build), or run without ` +
            '--conditions=syncline-dist to use the TypeScript sources\n',
    );
    process.exit(1);
  }
}
