// What every stack component provides: start (spawn + wait for real readiness), a health
// probe and stop. The orchestrator (stack.ts) only sequences these.
import * as path from 'node:path';
import type { StackConfig } from './config';
import type { StackDownloads } from './downloads';
import type { JavaRuntime } from './java';

export type ComponentName = 'postgres' | 'redis' | 'kafka' | 'connect' | 'registry' | 'connector';

export interface StackContext {
  readonly config: StackConfig;
  /** Resolved lazily: only JVM components need downloads and Java. */
  readonly jvm: () => Promise<{ downloads: StackDownloads; java: JavaRuntime; registryJava: JavaRuntime }>;
  /** Progress notes from inside a component's start (e.g. "formatting storage"). */
  readonly note: (component: ComponentName, message: string) => void;
}

export interface RunningComponent {
  /** Leader pid of the component's process group; absent for things that are not processes. */
  readonly pid?: number;
  readonly detail: string;
}

export interface Health {
  readonly healthy: boolean;
  readonly detail: string;
}

export interface Component {
  readonly name: ComponentName;
  /** Ports this component listens on, with the variable that configures each. */
  ports(config: StackConfig): Array<{ port: number; envVar: string }>;
  /** Checks tools and downloads before anything starts, so a missing one costs no start-up. */
  preflight(ctx: StackContext): Promise<void>;
  start(ctx: StackContext): Promise<RunningComponent>;
  probe(ctx: StackContext, pid: number | undefined): Promise<Health>;
  stop(ctx: StackContext, pid: number | undefined): Promise<void>;
}

export function componentDir(config: StackConfig, name: ComponentName): string {
  return path.join(config.stateDir, name);
}

export function logFileOf(config: StackConfig, name: ComponentName): string {
  return path.join(config.stateDir, 'logs', `${name}.log`);
}

/**
 * How a JVM is tuned. `startup` (Apicurio, off the hot path): C1 only and a heap that grows from
 * 64 MB, which start fastest and stay small. `throughput` (Kafka, Connect: every CDC event passes
 * through both): full tiered compilation (C2 code is far faster than C1 for the JSON conversion
 * and Debezium's per-event work), the heap committed up front, and half of it young generation so
 * that the records in flight during a burst die in eden instead of being copied into survivors and
 * promoted (with 64 MB to start and the default 1:2 split, Connect spent about a third of a burst
 * in young-GC pauses and ran full GCs). Serial GC: on 2 cores a parallel collector's threads only
 * compete with the application; it measured no faster.
 */
export type JvmProfile = 'startup' | 'throughput';

export function jvmFlags(heap: string, profile: JvmProfile): string[] {
  const tuning =
    profile === 'throughput'
      ? [`-Xms${heap}`, `-Xmx${heap}`, '-XX:NewRatio=1', '-XX:+UseSerialGC']
      : ['-Xms64m', `-Xmx${heap}`, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];
  return [
    ...tuning,
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.net.preferIPv4Stack=true',
    '-Djava.awt.headless=true',
  ];
}
