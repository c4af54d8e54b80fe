// A whole local stack of a test's own, on free ports in a temporary folder: for fault tests that
// kill the broker (or any other shared part), which the run's stack cannot survive for the other
// tests. Starts in about 15 s once the Maven downloads are there.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  endpointsOf,
  loadStackConfig,
  repoRoot,
  stackDown,
  stackStatus,
  stackUp,
  type ComponentName,
  type StackConfig,
  type UpResult,
} from '@syncline/stack';
import { freePrivateStackEnv } from './private-stack';
import { ENDPOINTS_ENV, uniqueName, type TestStack } from './test-stack';

export interface OwnStack {
  readonly config: StackConfig;
  readonly testStack: TestStack;
  /** `syncline stack up` again (what the CLI runs), with the notes it reported. */
  up(): Promise<{ result: UpResult; notes: string[] }>;
  pidOf(name: ComponentName): Promise<number | undefined>;
  /** Makes getTestStack() in this test file answer with this stack; returns the undo. */
  use(): () => void;
  /** Stops every process and deletes the folder. */
  down(): Promise<void>;
}

export async function startOwnStack(label: string): Promise<OwnStack> {
  const name = uniqueName(label);
  const dir = path.join(os.tmpdir(), 'syncline-own-stack', name);
  const env = { ...process.env, ...(await freePrivateStackEnv(dir, name)) };
  const config = loadStackConfig(env, repoRoot());
  const endpoints = endpointsOf(config);
  const testStack: TestStack = { kind: 'local', endpoints, connectorPgUrl: endpoints.pgUrl };
  const up = async (): Promise<{ result: UpResult; notes: string[] }> => {
    const notes: string[] = [];
    const result = await stackUp(config, {
      starting: () => undefined,
      note: (component, message) => notes.push(`${component}: ${message}`),
      ready: () => undefined,
    });
    return { result, notes };
  };
  try {
    await up();
  } catch (error) {
    await stackDown(config, { purge: true }).catch(() => undefined);
    throw error;
  }
  return {
    config,
    testStack,
    up,
    async pidOf(component) {
      return (await stackStatus(config)).find((s) => s.name === component)?.pid;
    },
    use() {
      const before = process.env[ENDPOINTS_ENV];
      process.env[ENDPOINTS_ENV] = JSON.stringify(testStack);
      return () => {
        if (before === undefined) delete process.env[ENDPOINTS_ENV];
        else process.env[ENDPOINTS_ENV] = before;
      };
    },
    async down() {
      await stackDown(config, { purge: true });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
