// A Kafka Connect worker of a test's own, on the run's Kafka: fault tests kill it (SIGKILL) and
// start it again without disturbing the stack's worker, which other tests share.
import * as os from 'node:os';
import * as path from 'node:path';
import {
  isPortFree,
  loadStackConfig,
  repoRoot,
  startExtraConnectWorker,
  type StackConfig,
} from '@syncline/stack';
import { uniqueName } from './test-stack';

export interface TestConnectWorker {
  readonly url: string;
  /** Kills the worker's JVM with SIGKILL (no offset flush, no clean shutdown). */
  kill(): Promise<void>;
  /** Starts the worker again with the same group, storage topics and port (it resumes its tasks). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 21000 + Math.floor(Math.random() * 11000);
    if (await isPortFree(port)) return port;
  }
  throw new Error('no free port for a Kafka Connect worker in 21000-32000');
}

/** Starts a worker whose `extra` properties override the stack's defaults (e.g. offset.flush.interval.ms). */
export async function startTestConnectWorker(
  label: string,
  extra: Readonly<Record<string, string | number | boolean>> = {},
): Promise<TestConnectWorker> {
  const base = loadStackConfig(process.env, repoRoot());
  const name = uniqueName(label);
  const config: StackConfig = {
    ...base,
    stateDir: path.join(os.tmpdir(), 'syncline-test-connect', name),
    ports: { ...base.ports, connect: await freePort() },
    topicPrefix: name,
  };
  let worker = await startExtraConnectWorker(config, extra);
  let pid: number | null = worker.pid;
  return {
    url: worker.url,
    async kill() {
      if (pid === null) return;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        process.kill(pid, 'SIGKILL');
      }
      pid = null;
      // The REST port is free again once the JVM is gone.
      while (!(await isPortFree(config.ports.connect))) await new Promise((r) => setTimeout(r, 100));
    },
    async restart() {
      worker = await startExtraConnectWorker(config, extra);
      pid = worker.pid;
    },
    async stop() {
      if (pid !== null) await worker.stop();
      pid = null;
    },
  };
}
