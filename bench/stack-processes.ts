// Which process runs each part of the local stack (the pids `syncline stack up` recorded), and a
// meter of the CPU each of them (with its descendants) and the whole machine spend over a phase.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadStackConfig, repoRoot } from '@syncline/stack';
import { machineBusyCpuSeconds, processTreeCpuSeconds } from './cpu-time';

export const STACK_PROCESSES = ['postgres', 'redis', 'kafka', 'connect'] as const;
export type StackProcess = (typeof STACK_PROCESSES)[number];

/** The pids in the stack's state file; a part started elsewhere (no pid) is left out. */
export function stackPids(): Partial<Record<StackProcess, number>> {
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
