// How a test file finds the run's stack, and unique names that keep tests apart on it.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot, type StackEndpoints } from '@syncline/stack';
import type { StackKind } from './provided-stack';

export const ENDPOINTS_ENV = 'SYNCLINE_TEST_STACK_ENDPOINTS';

export interface TestStack {
  readonly kind: StackKind;
  readonly endpoints: StackEndpoints;
  readonly connectorPgUrl: string;
}

export function endpointsFile(): string {
  return path.join(repoRoot(), 'test-results', 'stack-endpoints.json');
}

export function getTestStack(): TestStack {
  const raw =
    process.env[ENDPOINTS_ENV] ??
    (fs.existsSync(endpointsFile()) ? fs.readFileSync(endpointsFile(), 'utf8') : undefined);
  if (!raw)
    throw new Error(
      'no test stack: integration tests run under the jest `integration` project, whose global setup starts one',
    );
  return JSON.parse(raw) as TestStack;
}

/**
 * A short name unique to this test (lower case, starts with a letter, [a-z0-9_]), usable as a
 * topic prefix, Postgres schema, slot name and Redis key prefix alike.
 */
export function uniqueName(label: string): string {
  const clean =
    label
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 20) || 't';
  return `t_${clean}_${randomBytes(4).toString('hex')}`;
}
