// The local stack's lifecycle: `up` starts what is not already running (in dependency order,
// independent parts in parallel), `status` probes everything, `down` stops everything it started.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Component, ComponentName, Health, StackContext } from './component';
import { logFileOf } from './component';
import { postgres } from './components/postgres';
import { redis } from './components/redis';
import { kafka } from './components/kafka';
import { connect, startConnectWorker } from './components/connect';
import { registry } from './components/registry';
import type { StackConfig } from './config';
import { endpointsOf } from './config';
import {
  connectorConfig,
  connectorStatus,
  isRunning,
  loadConnectorConfig,
  registerConnector,
  type ConnectorParams,
} from './connector';
import { ensureDownloads } from './downloads';
import { bundledJdkHome, findJava } from './java';
import { assertPortFree } from './ports';
import { isAlive, stopProcessGroup } from './processes';
import { processTreeRss, readState, writeState, type StackState } from './state';

export const COMPONENTS: readonly Component[] = [postgres, redis, kafka, registry, connect];
export const ALL_NAMES: readonly ComponentName[] = [
  'postgres',
  'redis',
  'kafka',
  'registry',
  'connect',
  'connector',
];

export interface UpReporter {
  starting(name: ComponentName): void;
  note(name: ComponentName, message: string): void;
  ready(name: ComponentName, ms: number, detail: string, reused: boolean): void;
}

export interface UpResult {
  readonly totalMs: number;
  readonly started: ComponentName[];
  readonly reused: ComponentName[];
}

/** Parameters of the stack's own connector (tests register their own, see the test kit). */
export function defaultConnectorParams(config: StackConfig): ConnectorParams {
  const safe = config.topicPrefix.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return {
    name: `${config.topicPrefix}-postgres`,
    pgUrl: endpointsOf(config).pgUrl,
    topicPrefix: config.topicPrefix,
    schemaIncludeList: config.cdcSchemas,
    tablePartitions: config.tablePartitions,
    slotName: `${safe}_slot`,
    publicationName: `${safe}_publication`,
  };
}

function makeContext(config: StackConfig, reporter: Pick<UpReporter, 'note'>): StackContext {
  let jvm: ReturnType<StackContext['jvm']> | undefined;
  return {
    config,
    note: (name, message) => reporter.note(name, message),
    jvm: () =>
      (jvm ??= (async () => {
        const java = await findJava(17, 'Kafka and Kafka Connect');
        const registryJava = await findJava(21, 'Apicurio Registry 3.3', {
          explicitHome: config.registryJavaHome,
          extraHomes: [bundledJdkHome(config.rootDir)],
        });
        reporter.note('kafka', 'checking Maven downloads');
        const downloads = await ensureDownloads(config, java.executable);
        if (downloads.downloaded)
          reporter.note(
            'kafka',
            "downloaded Kafka, Debezium, Apicurio and Apicurio's Avro converter from Maven Central",
          );
        return { downloads, java, registryJava };
      })()),
  };
}

/** A running Connect worker outside the stack's state (see startExtraConnectWorker). */
export interface ExtraConnectWorker {
  readonly pid: number;
  readonly url: string;
  /** Stops it gracefully (SIGTERM to its process group, then SIGKILL). */
  stop(): Promise<void>;
}

/**
 * Starts one more Connect worker next to a stack, on its Kafka: its own group and storage topics
 * (named after `config.topicPrefix`), REST port (`config.ports.connect`) and state folder
 * (`config.stateDir`). For fault tests that kill Connect without touching the stack's worker.
 */
export async function startExtraConnectWorker(
  config: StackConfig,
  extra: Readonly<Record<string, string | number | boolean>> = {},
): Promise<ExtraConnectWorker> {
  fs.mkdirSync(path.join(config.stateDir, 'logs'), { recursive: true });
  const ctx = makeContext(config, { note: () => undefined });
  const { pid } = await startConnectWorker(ctx, extra);
  if (pid === undefined) throw new Error('Kafka Connect started without a process id');
  return {
    pid,
    url: `http://127.0.0.1:${config.ports.connect}`,
    stop: async () => void (await stopProcessGroup(pid, 20000)),
  };
}

export async function stackUp(config: StackConfig, reporter: UpReporter): Promise<UpResult> {
  const t0 = Date.now();
  fs.mkdirSync(path.join(config.stateDir, 'logs'), { recursive: true });
  const state = readState(config);
  const ctx = makeContext(config, reporter);
  const started: ComponentName[] = [];
  const reused: ComponentName[] = [];

  const byName = new Map(COMPONENTS.map((c) => [c.name, c] as const));
  const toStart: Component[] = [];
  for (const component of COMPONENTS) {
    const rec = state.components[component.name];
    if (rec && isAlive(rec.pid)) {
      const health = await settledHealth(ctx, component, rec.pid);
      if (health.healthy) {
        reused.push(component.name);
        reporter.ready(component.name, 0, rec.detail, true);
        continue;
      }
      // Alive but unhealthy (Connect after its broker died, a hung process): it holds its port,
      // so it is stopped and started again, after what it depends on.
      reporter.note(component.name, `alive but unhealthy (${health.detail}): restarting it`);
      await stopProcessGroup(rec.pid!, 20000);
    }
    if (rec) {
      delete state.components[component.name];
      writeState(config, state);
    }
    toStart.push(component);
  }
  // Tools first, then ports: both before anything starts, so a problem costs no JVM start.
  for (const component of toStart) await component.preflight(ctx);
  for (const component of toStart) {
    for (const { port, envVar } of component.ports(config))
      await assertPortFree(component.name, port, envVar);
  }

  const startOne = async (name: ComponentName): Promise<void> => {
    const component = byName.get(name);
    if (!component || !toStart.includes(component)) return;
    reporter.starting(name);
    const t = Date.now();
    const running = await component.start(ctx);
    const ms = Date.now() - t;
    state.components[name] = {
      pid: running.pid,
      startedAt: new Date().toISOString(),
      startMs: ms,
      detail: running.detail,
    };
    writeState(config, state);
    started.push(name);
    reporter.ready(name, ms, running.detail, false);
  };

  const pg = startOne('postgres');
  const rd = startOne('redis');
  const kf = startOne('kafka');
  const rg = startOne('registry');
  const cn = kf.then(() => startOne('connect'));
  const connector = Promise.all([pg, cn]).then(async () => {
    const outcome = await ensureConnector(config, reporter, state);
    (outcome === 'started' ? started : reused).push('connector');
  });
  const results = await Promise.allSettled([pg, rd, kf, rg, cn, connector]);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    // Half a stack helps nobody and holds its ports: stop what this call started or tried to
    // start (a component that failed may have left a process), never what it reused.
    await stopComponents(config, ctx, state, toStart).catch(() => undefined);
    throw failure.reason;
  }
  return { totalMs: Date.now() - t0, started, reused };
}

/** A component's health, probed up to three times a second apart (a slow answer is not a failure). */
async function settledHealth(
  ctx: StackContext,
  component: Component,
  pid: number | undefined,
): Promise<Health> {
  let health = await component.probe(ctx, pid);
  for (let i = 0; i < 2 && !health.healthy && isAlive(pid); i++) {
    await new Promise((r) => setTimeout(r, 1000));
    health = await component.probe(ctx, pid);
  }
  return health;
}

/** Stops `components` (in reverse start order) and forgets them in the state file. */
async function stopComponents(
  config: StackConfig,
  ctx: StackContext,
  state: StackState,
  components: readonly Component[],
): Promise<ComponentName[]> {
  const stopped: ComponentName[] = [];
  for (const component of [...COMPONENTS].reverse()) {
    if (!components.includes(component)) continue;
    const rec = state.components[component.name];
    if (rec && isAlive(rec.pid)) stopped.push(component.name);
    await component.stop(ctx, rec?.pid);
    if (rec?.pid && isAlive(rec.pid)) await stopProcessGroup(rec.pid, 5000);
    delete state.components[component.name];
    writeState(config, state);
  }
  return stopped;
}

/** Registers the stack's connector unless it already runs with exactly the template's config. */
async function ensureConnector(
  config: StackConfig,
  reporter: UpReporter,
  state: StackState,
): Promise<'started' | 'reused'> {
  const params = defaultConnectorParams(config);
  const connectUrl = endpointsOf(config).connectUrl;
  const wanted = loadConnectorConfig(config.rootDir, params);
  const detail = `${params.name}: topics ${params.topicPrefix}.<schema>.<table>, slot ${params.slotName}`;
  if (
    isRunning(await connectorStatus(connectUrl, params.name)) &&
    sameConfig(await connectorConfig(connectUrl, params.name), wanted)
  ) {
    reporter.ready('connector', 0, detail, true);
    return 'reused';
  }
  reporter.starting('connector');
  const t = Date.now();
  await registerConnector(connectUrl, params, wanted, config.readyTimeoutMs);
  const ms = Date.now() - t;
  state.components.connector = { startedAt: new Date().toISOString(), startMs: ms, detail };
  writeState(config, state);
  reporter.ready('connector', ms, detail, false);
  return 'started';
}

function sameConfig(actual: Record<string, string> | undefined, wanted: Record<string, string>): boolean {
  if (!actual) return false;
  // Connect adds `name` to the stored config; compare the keys we set.
  return Object.entries(wanted).every(([k, v]) => actual[k] === v);
}

export interface ComponentStatus {
  readonly name: ComponentName;
  readonly running: boolean;
  readonly healthy: boolean;
  readonly pid?: number;
  readonly rssBytes?: number;
  readonly detail: string;
  readonly logFile?: string;
}

export async function stackStatus(config: StackConfig): Promise<ComponentStatus[]> {
  const state = readState(config);
  const ctx = makeContext(config, { note: () => undefined });
  const out: ComponentStatus[] = [];
  for (const component of COMPONENTS) {
    const rec = state.components[component.name];
    const running = isAlive(rec?.pid);
    const health = running ? await component.probe(ctx, rec?.pid) : { healthy: false, detail: 'not running' };
    out.push({
      name: component.name,
      running,
      healthy: health.healthy,
      pid: running ? rec?.pid : undefined,
      rssBytes: running && rec?.pid ? processTreeRss(rec.pid) : undefined,
      detail: health.detail,
      logFile: logFileOf(config, component.name),
    });
  }
  const params = defaultConnectorParams(config);
  let connectorDetail = 'not registered';
  let connectorHealthy = false;
  if (out.find((s) => s.name === 'connect')?.healthy) {
    try {
      const s = await connectorStatus(endpointsOf(config).connectUrl, params.name);
      connectorHealthy = isRunning(s);
      connectorDetail = s
        ? `${params.name}: connector ${s.connector?.state}, tasks ${(s.tasks ?? []).map((t) => t.state).join(',') || 'none'}`
        : `${params.name} not registered`;
    } catch (err) {
      connectorDetail = (err as Error).message;
    }
  }
  out.push({
    name: 'connector',
    running: connectorHealthy,
    healthy: connectorHealthy,
    detail: connectorDetail,
  });
  return out;
}

export interface DownResult {
  readonly stopped: ComponentName[];
  readonly purged: boolean;
}

/**
 * Stops the named components, dependents first, and leaves the others running: for a caller
 * that reused part of a stack and must stop only what it started.
 */
export async function stackStop(
  config: StackConfig,
  names: readonly ComponentName[],
): Promise<ComponentName[]> {
  const state = readState(config);
  const ctx = makeContext(config, { note: () => undefined });
  const named = COMPONENTS.filter((c) => names.includes(c.name));
  return stopComponents(config, ctx, state, named);
}

/** Stops everything `up` started, dependents first. With `purge`, also deletes all data. */
export async function stackDown(config: StackConfig, opts: { purge: boolean }): Promise<DownResult> {
  const state = readState(config);
  const ctx = makeContext(config, { note: () => undefined });
  const stopped = await stopComponents(config, ctx, state, COMPONENTS);
  delete state.components.connector;
  writeState(config, state);
  if (opts.purge) fs.rmSync(config.stateDir, { recursive: true, force: true });
  return { stopped, purged: opts.purge };
}
