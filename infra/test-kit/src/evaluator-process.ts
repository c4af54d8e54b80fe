// Running the rules-evaluator from tests of any service: its environment for a capture, a rules
// file, and the real CLI as a child process (`syncline evaluator`).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '@syncline/stack';
import { avroRegistryUrl, type CdcCapture } from './cdc';
import { getTestStack } from './test-stack';

/** Writes sync rules to a fresh temporary file and returns its path. */
export function writeRulesFile(yaml: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'syncline-rules-'));
  const file = path.join(dir, 'rules.yaml');
  writeFileSync(file, yaml);
  return file;
}

/** The evaluator's environment for a capture: the run's stack, the capture's prefix and schema. */
export function evaluatorEnv(
  capture: CdcCapture,
  rulesFile: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  const { endpoints } = getTestStack();
  return {
    SYNCLINE_RULES_FILE: rulesFile,
    KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
    REDIS_URL: endpoints.redisUrl,
    SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
    SYNCLINE_TOPIC_PREFIX: capture.topicPrefix,
    SYNCLINE_DEPLOYMENT: capture.name,
    SYNCLINE_DEFAULT_SCHEMA: capture.schema,
    SYNCLINE_HTTP_PORT: '0',
    SYNCLINE_TOPIC_REFRESH_MS: '500',
    SYNCLINE_SESSION_TIMEOUT_MS: '10000',
    SYNCLINE_LEASE_TTL_MS: '2000',
    SYNCLINE_LOG_LEVEL: 'warn',
    ...(capture.changeFormat === 'avro'
      ? { SYNCLINE_CHANGE_FORMAT: 'avro', SYNCLINE_AVRO_REGISTRY_URL: avroRegistryUrl() }
      : {}),
    ...extra,
  };
}

export interface EvaluatorProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

/**
 * Starts `syncline evaluator [args]` with `env` added to this process's environment; `nodeArgs`
 * go to Node itself (a benchmark's `--cpu-prof`, which NODE_OPTIONS does not accept).
 */
export function startEvaluatorProcess(
  env: Record<string, string>,
  args: string[] = [],
  nodeArgs: readonly string[] = [],
): EvaluatorProcess {
  const child = spawn(
    process.execPath,
    [...nodeArgs, path.join(repoRoot(), 'services/cli/bin/syncline.js'), 'evaluator', ...args],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}
