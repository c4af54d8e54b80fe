// Jest global setup for the integration and fault projects: one stack for the whole run. The endpoints go
// to a file (and an environment variable) that test files read through getTestStack().
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ProvidedStack } from './provided-stack';
import { providerFor } from './providers';
import { ENDPOINTS_ENV, endpointsFile } from './test-stack';

declare global {
  var __SYNCLINE_STACK__: ProvidedStack | undefined;
  /** Projects (integration, fault) sharing the stack: the last teardown releases it. */
  var __SYNCLINE_STACK_USERS__: number | undefined;
}

export default async function globalSetup(): Promise<void> {
  globalThis.__SYNCLINE_STACK_USERS__ = (globalThis.__SYNCLINE_STACK_USERS__ ?? 0) + 1;
  if (globalThis.__SYNCLINE_STACK__) return; // another project of this run acquired it
  const provider = providerFor(process.env);
  const t0 = Date.now();
  const log = (line: string) => process.stderr.write(`[test-kit] ${line}\n`);
  log(`acquiring a ${provider.kind} stack (SYNCLINE_TEST_STACK=${provider.kind})`);
  const stack = await provider.acquire(log);
  globalThis.__SYNCLINE_STACK__ = stack;
  // Test files and the `syncline stack` processes they spawn inherit these, so they address the
  // run's stack even when it is a private one on other ports.
  Object.assign(process.env, stack.stackEnv);
  const file = endpointsFile();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const payload = JSON.stringify({
    kind: stack.kind,
    endpoints: stack.endpoints,
    connectorPgUrl: stack.connectorPgUrl,
  });
  fs.writeFileSync(file, payload + '\n');
  process.env[ENDPOINTS_ENV] = payload;
  log(`stack ready in ${Date.now() - t0} ms`);
}
