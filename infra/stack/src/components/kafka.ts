// A single-node Kafka 4.3 broker in KRaft combined mode (broker + controller), from the Maven
// jars. Storage is formatted once; later starts reuse it (topics and offsets survive).
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { Component, StackContext } from '../component';
import { componentDir, jvmFlags, logFileOf } from '../component';
import type { StackConfig } from '../config';
import { StackError } from '../errors';
import { failIfExited, readyOrStopped, run, spawnDaemon, stopProcessGroup } from '../processes';
import { renderProperties } from '../properties';
import { waitUntil } from '../readiness';

export function brokerProperties(c: StackConfig, dataDir: string): Record<string, string | number> {
  const b = c.ports.kafka;
  const ctl = c.ports.kafkaController;
  return {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.bootstrap.servers': `127.0.0.1:${ctl}`,
    listeners: `PLAINTEXT://127.0.0.1:${b},CONTROLLER://127.0.0.1:${ctl}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${b},CONTROLLER://127.0.0.1:${ctl}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': dataDir,
    // One broker: every internal topic has a single replica.
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'num.partitions': 1,
    // Small internal topics and no initial rebalance delay keep tests fast on 2 cores.
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.num.partitions': 1,
    'group.initial.rebalance.delay.ms': 0,
    'num.network.threads': 2,
    'num.io.threads': 2,
    // The cleaner's dedupe buffer comes out of the heap; 16 MB suits a 512 MB broker.
    'log.cleaner.dedupe.buffer.size': 16 * 1024 * 1024,
    // Off: an auto-created Connect offsets topic gets cleanup.policy=delete and the worker then
    // refuses to start. Connect and Debezium create their topics explicitly; so do our services.
    'auto.create.topics.enable': 'false',
  };
}

function javaArgs(ctx: { config: StackConfig }, libs: string, extra: string[]): string[] {
  const c = ctx.config;
  return [
    ...jvmFlags(c.heaps.kafka, 'throughput'),
    `-Dlog4j2.configurationFile=${path.join(c.rootDir, 'infra', 'stack', 'config', 'log4j2.properties')}`,
    `-Dkafka.logs.dir=${path.join(componentDir(c, 'kafka'), 'logs')}`,
    '-cp',
    `${libs}/*`,
    ...extra,
  ];
}

export function kafkaAdminClient(brokers: string[]) {
  return new Kafka({
    clientId: 'syncline-stack',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  }).admin();
}

async function describeCluster(port: number): Promise<number> {
  const admin = kafkaAdminClient([`127.0.0.1:${port}`]);
  await admin.connect();
  try {
    const d = await admin.describeCluster();
    return d.brokers.length;
  } finally {
    await admin.disconnect();
  }
}

async function format(
  ctx: StackContext,
  libs: string,
  java: string,
  dir: string,
  propsFile: string,
): Promise<void> {
  const idFile = path.join(dir, 'cluster.id');
  if (!fs.existsSync(idFile)) fs.writeFileSync(idFile, randomBytes(16).toString('base64url') + '\n');
  const clusterId = fs.readFileSync(idFile, 'utf8').trim();
  ctx.note('kafka', 'formatting storage (first start)');
  try {
    await run(
      java,
      javaArgs(ctx, libs, [
        'kafka.tools.StorageTool',
        'format',
        '--standalone',
        '--ignore-formatted',
        `--cluster-id=${clusterId}`,
        '-c',
        propsFile,
      ]),
    );
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new StackError(
      `formatting Kafka storage failed:\n${(e.stdout ?? '') + (e.stderr ?? '')}`,
      `remove ${dir} to start from scratch (deletes all topics)`,
      { cause: err },
    );
  }
}

export const kafka: Component = {
  name: 'kafka',
  ports: (c) => [
    { port: c.ports.kafka, envVar: 'SYNCLINE_KAFKA_PORT' },
    { port: c.ports.kafkaController, envVar: 'SYNCLINE_KAFKA_CONTROLLER_PORT' },
  ],

  preflight: async (ctx) => void (await ctx.jvm()),

  async start(ctx) {
    const c = ctx.config;
    const { downloads, java } = await ctx.jvm();
    const dir = componentDir(c, 'kafka');
    const dataDir = path.join(dir, 'data');
    fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
    const propsFile = path.join(dir, 'server.properties');
    fs.writeFileSync(
      propsFile,
      renderProperties(brokerProperties(c, dataDir), 'Kafka broker (KRaft, single node)'),
    );
    if (!fs.existsSync(path.join(dataDir, 'meta.properties'))) {
      await format(ctx, downloads.kafkaLibs, java.executable, dir, propsFile);
    }
    const log = logFileOf(c, 'kafka');
    const pid = await spawnDaemon({
      command: java.executable,
      args: javaArgs(ctx, downloads.kafkaLibs, ['kafka.Kafka', propsFile]),
      logFile: log,
    });
    await readyOrStopped(
      pid,
      waitUntil(async () => (await describeCluster(c.ports.kafka)) > 0, {
        what: 'Kafka',
        timeoutMs: c.readyTimeoutMs,
        check: failIfExited(pid, 'Kafka', log),
      }),
    );
    return { pid, detail: `127.0.0.1:${c.ports.kafka} (KRaft, controller :${c.ports.kafkaController})` };
  },

  async probe(ctx) {
    try {
      const n = await describeCluster(ctx.config.ports.kafka);
      return { healthy: n > 0, detail: `${n} broker(s) in cluster metadata` };
    } catch (err) {
      return { healthy: false, detail: (err as Error).message };
    }
  },

  async stop(_ctx, pid) {
    if (pid) await stopProcessGroup(pid, 20000);
  },
};
