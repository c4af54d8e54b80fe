// A stop at any moment of start-up (SIGTERM right after a deploy, a test's teardown) closes
// everything start-up opened: the HTTP port is free again, no consumer group keeps a member,
// and run() settles. Each delay lands in a different start-up step.
import * as net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { isPortFree } from '@syncline/stack';
import {
  evaluatorEnv,
  getTestStack,
  openDeploymentState,
  startCapture,
  testKafka,
  writeRulesFile,
  type CdcCapture,
} from '@syncline/test-kit';
import { ALL_NOTES_RULES, startInProcess } from './harness';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Open TCP sockets and servers of this process (Kafka, Redis and HTTP connections alike). */
function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap')
    .length;
}

/** The handle count once closing sockets are gone (they leave on a later tick). */
async function settledTcpHandles(expected: number): Promise<number> {
  for (let i = 0; i < 40 && tcpHandles() !== expected; i++) await sleep(50);
  return tcpHandles();
}

/** The handle count once it has not changed for 250 ms (earlier clients finish closing). */
async function stableTcpHandles(): Promise<number> {
  let last = tcpHandles();
  for (let same = 0, i = 0; same < 5 && i < 60; i++) {
    await sleep(50);
    const now = tcpHandles();
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return last;
}

describe('evaluator stop during start-up', () => {
  let capture: CdcCapture;
  let keyPrefix: string | null = null;

  beforeAll(async () => {
    capture = await startCapture({
      label: 'eval_stop',
      setupSql: `CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'one');`,
    });
  });

  afterAll(async () => {
    if (keyPrefix !== null) {
      await openDeploymentState(keyPrefix).close();
    }
    await capture?.close();
  });

  it.each([
    [0, 'off'],
    [5, 'off'],
    [50, 'off'],
    [300, 'off'],
    [1500, 'off'],
    [4000, 'off'],
    [50, 'on'],
    [300, 'on'],
    [1500, 'on'],
  ])(
    'closes what start-up opened when stopped after %i ms (bucket topic %s)',
    async (delayMs, bucketTopic) => {
      const port = await freePort();
      const env = evaluatorEnv(capture, writeRulesFile(ALL_NOTES_RULES), {
        SYNCLINE_BUCKET_TOPIC: bucketTopic,
        SYNCLINE_HTTP_PORT: String(port),
      });
      const before = await stableTcpHandles();
      const running = await startInProcess(env);
      keyPrefix = running.config.keyPrefix;
      await sleep(delayMs);
      await running.stop();
      const outcome = await running.done.then(
        () => 'resolved',
        (error: Error) => error.name,
      );
      expect(['resolved', 'StoppedError']).toContain(outcome);

      expect(await isPortFree(port)).toBe(true);
      // Every Kafka client, Redis connection and server start-up opened is closed.
      expect(await settledTcpHandles(before)).toBe(before);
      const admin = testKafka(getTestStack().endpoints.kafkaBrokers).admin();
      await admin.connect();
      try {
        const { groups } = await admin.describeGroups([
          running.config.groupId,
          `${running.config.groupId}.tx.${running.config.instanceId}`,
        ]);
        expect(groups.map((g) => [g.groupId, g.members.length])).toEqual([
          [running.config.groupId, 0],
          [`${running.config.groupId}.tx.${running.config.instanceId}`, 0],
        ]);
      } finally {
        await admin.disconnect();
      }
    },
  );
});
