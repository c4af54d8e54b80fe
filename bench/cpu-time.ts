// CPU time the benchmarks charge to a process and to the Redis server: steadier figures than wall
// time when other work shares the machine.
import { readdirSync, readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { threadCpu, threadCpuSince, type ThreadCpu } from '@syncline/test-kit';

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); 0 once it is gone. */
export function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds the Redis server has used so far (all its clients, not only this run's). */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}

/** CPU seconds of a process, the children it reaped (cutime, cstime) and its live descendants. */
export function processTreeCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const children = new Map<number, number[]>();
  const cpu = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields === null) continue;
    const ppid = Number(fields[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    cpu.set(Number(entry), fields.slice(11, 15).reduce((n, f) => n + Number(f), 0) / 100);
  }
  let total = 0;
  for (const stack = [pid]; stack.length > 0;) {
    const p = stack.pop()!;
    total += cpu.get(p) ?? 0;
    stack.push(...(children.get(p) ?? []));
  }
  return total;
}

/** The fields of /proc/<pid>/stat after the command name (state first), or null once it is gone. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** CPU seconds the whole machine has spent busy (every core, all processes), from /proc/stat. */
export function machineBusyCpuSeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  // cpu user nice system idle iowait irq softirq steal ...: busy is all but idle and iowait.
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / 100;
}

/** CPU seconds per thread of one process since the meter started (the busiest first). */
export interface ThreadCpuMeter {
  read(): ThreadCpu[];
  /** CPU seconds of the threads whose name matches, since the start. */
  matching(name: RegExp): number;
}

/**
 * Measures each thread of `pid` from now on (/proc/<pid>/task/<tid>/stat, ticks of 10 ms): e.g.
 * Kafka Connect's one source task thread apart from the rest of its JVM.
 */
export function startThreadCpuMeter(pid: number): ThreadCpuMeter {
  const start = threadCpu(pid);
  const read = (): ThreadCpu[] => threadCpuSince(start, threadCpu(pid));
  return {
    read,
    matching: (name) => read().reduce((n, t) => n + (name.test(t.name) ? t.cpuSeconds : 0), 0),
  };
}
