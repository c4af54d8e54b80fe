// CPU time from Linux's /proc, per process and per thread: benchmarks charge CPU to the part of a
// process that spent it (e.g. the one Debezium task thread of Kafka Connect's JVM), which stays
// meaningful when other work shares the machine and wall time does not.
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime/stime (USER_HZ: 100 on every Linux Node supports). */
export const CLOCK_TICKS_PER_SECOND = 100;

/** What the benchmarks use of one /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat line. */
export interface ProcStat {
  readonly id: number;
  /** The command (a thread's name; at most 15 bytes, may hold spaces and parentheses). */
  readonly name: string;
  readonly ppid: number;
  /** CPU seconds in user and in kernel mode of this process or thread. */
  readonly userSeconds: number;
  readonly systemSeconds: number;
  /** CPU seconds of the children the process waited for (cutime + cstime); 0 for a thread. */
  readonly reapedChildrenSeconds: number;
}

/** Parses a stat line; the name is everything between the first '(' and the last ')'. */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc stat line: ${text.slice(0, 80)}`);
  // Fields after the name, numbered from 3 (state) as in proc(5): ppid is 4, utime 14 ... cstime 17.
  const fields = text
    .slice(close + 2)
    .trim()
    .split(' ');
  const field = (n: number): number => {
    const value = Number(fields[n - 3]);
    if (!Number.isFinite(value)) throw new Error(`/proc stat field ${n} missing: ${text.slice(0, 80)}`);
    return value;
  };
  return {
    id: Number(text.slice(0, open).trim()),
    name: text.slice(open + 1, close),
    ppid: field(4),
    userSeconds: field(14) / CLOCK_TICKS_PER_SECOND,
    systemSeconds: field(15) / CLOCK_TICKS_PER_SECOND,
    reapedChildrenSeconds: (field(16) + field(17)) / CLOCK_TICKS_PER_SECOND,
  };
}

/** CPU seconds (user + system) one thread of a process has used. */
export interface ThreadCpu {
  readonly tid: number;
  readonly name: string;
  readonly cpuSeconds: number;
}

/** Every live thread of `pid` with its CPU so far; empty once the process is gone. */
export function threadCpu(pid: number): ThreadCpu[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const threads: ThreadCpu[] = [];
  for (const tid of tids) {
    try {
      const stat = parseProcStat(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
      threads.push({ tid: stat.id, name: stat.name, cpuSeconds: stat.userSeconds + stat.systemSeconds });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return threads;
}

/**
 * CPU seconds each thread spent between two readings of `threadCpu` (threads are matched by tid;
 * one that started in between counts from 0, one that ended is left out), largest first.
 */
export function threadCpuSince(before: readonly ThreadCpu[], after: readonly ThreadCpu[]): ThreadCpu[] {
  const earlier = new Map(before.map((t) => [t.tid, t.cpuSeconds]));
  return after
    .map((t) => ({ ...t, cpuSeconds: t.cpuSeconds - (earlier.get(t.tid) ?? 0) }))
    .sort((a, b) => b.cpuSeconds - a.cpuSeconds);
}

/** Sums per-thread CPU by thread name less trailing digits and dashes (pools: "qtp123-17" -> "qtp"). */
export function cpuByThreadGroup(threads: readonly ThreadCpu[]): Map<string, number> {
  const groups = new Map<string, number>();
  for (const t of threads) {
    const group = t.name.replace(/[-\d\s]+$/, '') || t.name;
    groups.set(group, (groups.get(group) ?? 0) + t.cpuSeconds);
  }
  return new Map([...groups].sort((a, b) => b[1] - a[1]));
}
