// A Kafka Connect distributed worker (one node) with the Debezium Postgres plugin on its
// plugin path. Its configs, offsets and status live in Kafka topics, so a restart resumes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Component, RunningComponent, StackContext } from '../component';
import { componentDir, jvmFlags, logFileOf } from '../component';
import type { StackConfig } from '../config';
import { failIfExited, readyOrStopped, spawnDaemon, stopProcessGroup } from '../processes';
import { renderProperties } from '../properties';
import { httpGet, waitUntil } from '../readiness';

export const POSTGRES_CONNECTOR_CLASS = 'io.debezium.connector.postgresql.PostgresConnector';

export function workerProperties(
  c: StackConfig,
  pluginPath: string,
): Record<string, string | number | boolean> {
  const group = `${c.topicPrefix}-connect`;
  return {
    'bootstrap.servers': `127.0.0.1:${c.ports.kafka}`,
    'group.id': group,
    listeners: `http://127.0.0.1:${c.ports.connect}`,
    'rest.advertised.host.name': '127.0.0.1',
    'rest.advertised.port': c.ports.connect,
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'key.converter.schemas.enable': false,
    'value.converter.schemas.enable': false,
    'config.storage.topic': `${group}-configs`,
    'config.storage.replication.factor': 1,
    'offset.storage.topic': `${group}-offsets`,
    'offset.storage.replication.factor': 1,
    'offset.storage.partitions': 1,
    'status.storage.topic': `${group}-status`,
    'status.storage.replication.factor': 1,
    'status.storage.partitions': 1,
    // Debezium confirms LSNs to Postgres only after offsets are flushed: keep it short.
    'offset.flush.interval.ms': 1000,
    // Without this a restarted worker may wait 5 minutes to get its tasks back.
    'scheduled.rebalance.max.delay.ms': 0,
    'plugin.path': pluginPath,
    // Every plugin here ships ServiceLoader manifests; skipping the classpath scan saves seconds.
    'plugin.discovery': 'service_load',
    'topic.creation.enable': true,
    // The connector template sets producer.override.* (batch size, linger); say so explicitly.
    'connector.client.config.override.policy': 'All',
  };
}

async function pluginsListed(port: number): Promise<boolean> {
  const health = await httpGet(`http://127.0.0.1:${port}/health`);
  if (health.status !== 200) return false;
  const plugins = await httpGet(`http://127.0.0.1:${port}/connector-plugins`);
  return plugins.status === 200 && plugins.body.includes(POSTGRES_CONNECTOR_CLASS);
}

/**
 * Starts a Connect worker for `ctx.config` (its group, topics and REST port follow the config's
 * topic prefix and connect port), with `extra` worker properties on top of the defaults.
 */
export async function startConnectWorker(
  ctx: StackContext,
  extra: Readonly<Record<string, string | number | boolean>> = {},
): Promise<RunningComponent> {
  const c = ctx.config;
  const { downloads, java } = await ctx.jvm();
  const dir = componentDir(c, 'connect');
  fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
  const propsFile = path.join(dir, 'worker.properties');
  fs.writeFileSync(
    propsFile,
    renderProperties(
      { ...workerProperties(c, downloads.connectPlugins), ...extra },
      'Kafka Connect distributed worker',
    ),
  );
  const log = logFileOf(c, 'connect');
  const pid = await spawnDaemon({
    command: java.executable,
    args: [
      ...jvmFlags(c.heaps.connect, 'throughput'),
      `-Dlog4j2.configurationFile=${path.join(c.rootDir, 'infra', 'stack', 'config', 'log4j2.properties')}`,
      `-Dkafka.logs.dir=${path.join(dir, 'logs')}`,
      '-cp',
      `${downloads.kafkaLibs}/*`,
      'org.apache.kafka.connect.cli.ConnectDistributed',
      propsFile,
    ],
    logFile: log,
  });
  await readyOrStopped(
    pid,
    waitUntil(() => pluginsListed(c.ports.connect), {
      what: 'Kafka Connect (GET /health and the Debezium plugin)',
      timeoutMs: c.readyTimeoutMs,
      check: failIfExited(pid, 'Kafka Connect', log),
    }),
  );
  return { pid, detail: `http://127.0.0.1:${c.ports.connect} (Debezium postgres plugin loaded)` };
}

export const connect: Component = {
  name: 'connect',
  ports: (c) => [{ port: c.ports.connect, envVar: 'SYNCLINE_CONNECT_PORT' }],

  preflight: async (ctx) => void (await ctx.jvm()),

  start: (ctx) => startConnectWorker(ctx),

  async probe(ctx) {
    try {
      const h = await httpGet(`http://127.0.0.1:${ctx.config.ports.connect}/health`);
      return {
        healthy: h.status === 200,
        detail: h.status === 200 ? 'GET /health 200' : `GET /health ${h.status}: ${h.body}`,
      };
    } catch (err) {
      return { healthy: false, detail: (err as Error).message };
    }
  },

  async stop(_ctx, pid) {
    if (pid) await stopProcessGroup(pid, 20000);
  },
};
