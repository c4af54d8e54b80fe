#!/usr/bin/env node
// Entry point for `npx syncline`. The project runs its TypeScript through tsx, so the
// command always reflects the checked-out source without a separate build step.
'use strict';
require('tsx/cjs');
const { main } = require('../src/main.ts');
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`syncline: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
