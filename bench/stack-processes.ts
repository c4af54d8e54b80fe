// Which process runs each part of the local stack (the pids `syncline stack up` recorded), and a
// meter of the CPU each of them (with its descendants) and the whole machine spend over a phase.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadStackConfig, repoRoot } from '@syncline/stack';
import { machineBusyCpuSeconds, processTreeCpuSeconds } from './cpu-time';

export const STACK_PROCESSES = ['postgres', 'redis', 'kafka', 'connect'] as const;
export type StackProcess = (typeof STACK_PROCESSES)[number];

/**
 * The pids in the stack's state file; a part started elsewhere (no pid) is left out.
 * `SYNCLINE_BENCH_PIDS=redis=1234,...` names the process of a part run apart from the shared
 * stack (e.g. a Redis of one's own, REDIS_URL pointing at it), so its CPU is this run's alone.
 */
export function stackPids(): Partial<Record<StackProcess, number>> {
  return { ...recordedPids(), ...pidsFromEnv(process.env.SYNCLINE_BENCH_PIDS ?? '') };
}

function pidsFromEnv(list: string): Partial<Record<StackProcess, number>> {
  const pids: Partial<Record<StackProcess, number>> = {};
  for (const entry of list.split(',').filter((e) => e !== '')) {
    const [name, pid] = entry.split('=');
    if (!STACK_PROCESSES.includes(name as StackProcess) || !(Number(pid) > 0))
      throw new Error(`SYNCLINE_BENCH_PIDS: "${entry}" is not <${STACK_PROCESSES.join('|')}>=<pid>`);
    pids[name as StackProcess] = Number(pid);
  }
  return pids;
}

function recordedPids(): Partial<Record<StackProcess, number>> {
  const { stateDir } = loadStackConfig(process.env, repoRoot());
  try {
    const state = JSON.parse(readFileSync(path.join(stateDir, 'state.json'), 'utf8')) as {
      components?: Record<string, { pid?: number }>;
    };
    const pids: Partial<Record<StackProcess, number>> = {};
    for (const name of STACK_PROCESSES) {
      const pid = state.components?.[name]?.pid;
      if (pid !== undefined) pids[name] = pid;
    }
    return pids;
  } catch {
    return {};
  }
}

/** CPU seconds per named process (and `machine`: every core busy) spent since `start`. */
export type CpuUse = Readonly<Record<string, number>>;

export interface CpuMeter {
  /** CPU spent since the meter started, per process and for the machine. */
  read(): CpuUse;
}

/**
 * Starts measuring the processes `pids()` names (name -> pid, asked at every reading) and the whole
 * machine; a process that had no pid at the start counts from 0 (all its CPU since it started).
 */
export function startCpuMeter(pids: () => Readonly<Record<string, number | undefined>>): CpuMeter {
  const sample = (): Record<string, number> => {
    const use: Record<string, number> = { machine: machineBusyCpuSeconds() };
    for (const [name, pid] of Object.entries(pids()))
      if (pid !== undefined) use[name] = processTreeCpuSeconds(pid);
    return use;
  };
  const start = sample();
  return {
    read() {
      const now = sample();
      return Object.fromEntries(Object.entries(now).map(([k, v]) => [k, v - (start[k] ?? 0)]));
    },
  };
}
