// Jest reporter that ends a run with the plain line CI reads: `tests: N passed, N failed, N skipped`.
// It also writes the counts to test-results/summary.json so .ci/run can repeat the line last.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const passed = results.numPassedTests;
    // Suites that failed to run (syntax errors, setup failures) count as failures too: their
    // tests never ran, and a run that silently loses a suite must not look green.
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    const dir = path.join(this.rootDir, 'test-results');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({ passed, failed, skipped }) + '\n');
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}

module.exports = SummaryReporter;
