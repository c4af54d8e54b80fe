// One benchmark pipeline through the real stack: a private capture (schema, connector, slot,
// topics) and an evaluator child process on it, with the deployment's Redis state. Closing stops
// the evaluator and removes all of it, also on Ctrl-C.
import { writeFileSync } from 'node:fs';
import { keyPrefixFor } from '@syncline/bucket-store';
import {
  evaluatorEnv,
  getTestStack,
  openDeploymentState,
  startCapture,
  startEvaluatorProcess,
  testKafka,
  writeRulesFile,
  type CdcCapture,
  type DeploymentState,
  type EvaluatorProcess,
} from '@syncline/test-kit';
import { cleanUpOnInterrupt } from './interrupt';
import { deleteKafkaStateOfRun } from '@syncline/test-kit';

export interface PipelineOptions {
  /** Stem of the capture's unique name. */
  readonly label: string;
  /** Run in the capture's fresh schema before its connector starts. */
  readonly setupSql: string;
  readonly rules: string;
  readonly partitions?: number;
  /** Added to the evaluator's environment (e.g. SYNCLINE_BUCKET_TOPIC). */
  readonly evaluatorEnv?: Readonly<Record<string, string>>;
  /** Connector settings (e.g. `snapshot.mode`). */
  readonly connectorOverrides?: Readonly<Record<string, string>>;
  /** Called after `setupSql`, before the connector is registered. */
  readonly onSetupDone?: () => void;
}

/**
 * Node options for the evaluator child, from `SYNCLINE_BENCH_EVALUATOR_NODE_ARGS` (space-separated;
 * e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`: the profile is written when the evaluator stops).
 */
export function evaluatorNodeArgs(): string[] {
  return (process.env.SYNCLINE_BENCH_EVALUATOR_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
}

export interface Pipeline {
  readonly capture: CdcCapture;
  readonly state: DeploymentState;
  readonly env: Record<string, string>;
  readonly evaluator: EvaluatorProcess;
  /** `work`, or the evaluator's exit (with its output) if it ends first. */
  whileEvaluatorRuns<T>(work: Promise<T>): Promise<T>;
}

/**
 * Starts a pipeline, runs `measure` on it and removes it again, whether `measure` returns,
 * throws (the error then carries the evaluator's last output) or the process is interrupted.
 */
export async function withPipeline<T>(
  options: PipelineOptions,
  measure: (pipeline: Pipeline) => Promise<T>,
): Promise<T> {
  const capture = await startCapture({
    label: options.label,
    setupSql: options.setupSql,
    partitions: options.partitions ?? 4,
    overrides: options.connectorOverrides,
    onSetupDone: options.onSetupDone,
  });
  const env = evaluatorEnv(capture, writeRulesFile(options.rules), { ...options.evaluatorEnv });
  const state = openDeploymentState(keyPrefixFor(capture.name, '1'));
  const evaluator = startEvaluatorProcess(env, [], evaluatorNodeArgs());
  const pipeline: Pipeline = {
    capture,
    state,
    env,
    evaluator,
    whileEvaluatorRuns: (work) => whileRuns(evaluator, work),
  };
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= closePipeline(pipeline));
  const release = cleanUpOnInterrupt(close);
  try {
    return await measure(pipeline);
  } catch (error) {
    const output = evaluator.output().slice(-4000);
    throw new Error(`${String(error)}\nthe evaluator's last output:\n${output || '(none)'}`, {
      cause: error,
    });
  } finally {
    release();
    await close();
  }
}

async function whileRuns<T>(evaluator: EvaluatorProcess, work: Promise<T>): Promise<T> {
  const exited = evaluator.exited.then((code): never => {
    throw new Error(`the evaluator exited with ${code}:\n${evaluator.output().slice(-4000)}`);
  });
  return Promise.race([work, exited]);
}

/** Stops the evaluator, then deletes its Redis state and group, the capture and the run's topics. */
async function closePipeline(pipeline: Pipeline): Promise<void> {
  const { child } = pipeline.evaluator;
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await pipeline.evaluator.exited;
    clearTimeout(killer);
  }
  // SYNCLINE_BENCH_EVALUATOR_LOG=<file>: the evaluator's whole output, for a run to look into.
  const log = process.env.SYNCLINE_BENCH_EVALUATOR_LOG;
  if (log !== undefined && log !== '') writeFileSync(log, pipeline.evaluator.output());
  // The evaluator's own reset: its key prefix and its consumer group.
  await startEvaluatorProcess(pipeline.env, ['--reset']).exited;
  await pipeline.state.close();
  await pipeline.capture.close();
  const admin = testKafka(getTestStack().endpoints.kafkaBrokers).admin();
  await admin.connect();
  await deleteKafkaStateOfRun(admin, pipeline.capture.topicPrefix);
  await admin.disconnect();
}
