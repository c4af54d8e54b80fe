// A whole deployment for the gateway's integration tests: a capture (schema, connector, topics),
// an evaluator child process on it with the given rules, the deployment's Redis state, seed rows
// synced to a checkpoint, and a gateway serving them. One place for what the official-client
// tests all set up and tear down.
import pino from 'pino';
import { loadSyncRulesFile } from '@syncline/service-runtime';
import {
  evaluatorEnv,
  openDeploymentState,
  startCapture,
  startEvaluatorProcess,
  syncTo,
  writeRulesFile,
  type CdcCapture,
  type DeploymentState,
  type EvaluatorProcess,
} from '@syncline/test-kit';
import { Gateway } from '../../src/gateway';
import { loadGatewayConfig } from '../../src/config';
import { gatewayEnv } from './todo-app';

export interface DeploymentOptions {
  readonly label: string;
  readonly setupSql: string;
  readonly rules: string;
  readonly partitions: number;
  /** Rows inserted before the gateway starts, synced to a checkpoint first. */
  readonly seedSql: string;
  /** Evaluator settings besides the test defaults (bucket topic off). */
  readonly evaluatorEnv?: Readonly<Record<string, string>>;
}

export interface GatewayDeployment {
  readonly capture: CdcCapture;
  readonly evaluator: EvaluatorProcess;
  readonly state: DeploymentState;
  readonly gateway: Gateway;
  /** The gateway's base URL. */
  readonly endpoint: string;
  /** Stops the gateway and the evaluator, deletes the state and the capture. */
  close(): Promise<void>;
}

export async function startGatewayDeployment(options: DeploymentOptions): Promise<GatewayDeployment> {
  const { label, setupSql, partitions } = options;
  const capture = await startCapture({ label, setupSql, partitions });
  const rulesFile = writeRulesFile(options.rules);
  const evaluator = startEvaluatorProcess(
    evaluatorEnv(capture, rulesFile, { SYNCLINE_BUCKET_TOPIC: 'off', ...options.evaluatorEnv }),
    ['--rules', rulesFile],
  );
  const config = loadGatewayConfig(gatewayEnv(capture, rulesFile));
  const state = openDeploymentState(config.keyPrefix);
  let gateway: Gateway | undefined;
  const close = async (): Promise<void> => {
    await gateway?.stop();
    evaluator.child.kill('SIGTERM');
    await evaluator.exited;
    await state.close();
    await capture.close();
  };
  try {
    await capture.pg.query(options.seedSql);
    await syncTo(capture, state, 120_000);
    const rules = await loadSyncRulesFile(rulesFile, { defaultSchema: capture.schema });
    gateway = new Gateway(config, rules, pino({ level: 'warn' }));
    const endpoint = `http://127.0.0.1:${await gateway.start()}`;
    return { capture, evaluator, state, gateway, endpoint, close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
