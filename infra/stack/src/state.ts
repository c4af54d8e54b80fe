// The stack's state file: which component runs under which pid, so `status` and `down`
// find what `up` started even from another shell.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ComponentName } from './component';
import type { StackConfig } from './config';

export interface ComponentRecord {
  readonly pid?: number;
  readonly startedAt: string;
  readonly startMs: number;
  readonly detail: string;
}

export interface StackState {
  readonly version: 1;
  components: Partial<Record<ComponentName, ComponentRecord>>;
}

export function statePath(config: StackConfig): string {
  return path.join(config.stateDir, 'state.json');
}

export function readState(config: StackConfig): StackState {
  try {
    const parsed = JSON.parse(fs.readFileSync(statePath(config), 'utf8')) as StackState;
    if (parsed.version === 1 && parsed.components) return parsed;
  } catch {
    // missing or unreadable: nothing is known to run
  }
  return { version: 1, components: {} };
}

export function writeState(config: StackConfig, state: StackState): void {
  fs.mkdirSync(config.stateDir, { recursive: true });
  const tmp = statePath(config) + '.tmp';
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n');
  fs.renameSync(tmp, statePath(config));
}

/** Resident memory of a process and its descendants, in bytes (Linux /proc). */
export function processTreeRss(pid: number): number {
  let total = 0;
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // process vanished
    }
  }
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop() as number;
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
    } catch {
      continue;
    }
    stack.push(...(children.get(p) ?? []));
  }
  return total;
}
