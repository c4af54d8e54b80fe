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

/** JVM flags tuned for 2-core machines: C1 only and serial GC start fast and stay small. */
export function jvmFlags(heap: string): string[] {
  return [
    `-Xms64m`,
    `-Xmx${heap}`,
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.net.preferIPv4Stack=true',
    '-Djava.awt.headless=true',
  ];
}
