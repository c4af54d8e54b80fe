// The capacity model of docs/capacity.md, from figures the other benchmarks measured (passed as
// arguments, CPU µs per single-row transaction): the serial points' ceilings and the first cap,
// the 2-core ceiling the whole pipeline's CPU predicts, what N evaluators on N cores sustain, and
// the cores a target rate needs.
// Usage: npx tsx bench/capacity-model.ts --pipeline evaluator=255,connect=240,kafka=125,redis=66,postgres=261
//   --serial "connect task=22.5,walsender=9,redis=66" --read 22.4 --coordinate 9.4 [--process µs]
//   (--process: the evaluators' processing per tx; default: the pipeline's evaluator less read and
//   coordinate)
//   [--cores 2] [--measured 1125] [--evaluators 1,2,4,8,16,32] [--rates 2000,5000,...] [--target 50000]
import { parseArgs } from 'node:util';
import {
  ceilingTxPerSecond,
  coresAt,
  evaluatorsCeiling,
  evaluatorsFor,
  firstCap,
  type SerialPoint,
} from '@syncline/test-kit';
import { print, runBenchmark } from './script';

const { values: args } = parseArgs({
  options: {
    /** CPU µs per tx of each process of the pipeline, `name=µs,...` */
    pipeline: { type: 'string' },
    /** CPU µs per tx of each serial point other than the evaluators, `name=µs,...` */
    serial: { type: 'string', default: '' },
    /** Each evaluator's read of the transaction topic, the leader's coordinator, the processing. */
    read: { type: 'string' },
    coordinate: { type: 'string' },
    process: { type: 'string' },
    cores: { type: 'string', default: '2' },
    /** The rate measured on `cores` cores, to check the prediction against. */
    measured: { type: 'string' },
    evaluators: { type: 'string', default: '1,2,4,8,16,32' },
    /** Rates (tx/s) to print the evaluator count for. */
    rates: { type: 'string', default: '2000,5000,10000,20000,30000' },
    target: { type: 'string', default: '50000' },
  },
});

function figures(list: string | undefined, what: string): SerialPoint[] {
  if (list === undefined) throw new Error(`--${what} is required (name=µs,...)`);
  return list
    .split(',')
    .filter((entry) => entry.trim() !== '')
    .map((entry) => {
      const [name, micros] = entry.split('=');
      const microsPerTx = Number(micros);
      if (!name || !(microsPerTx > 0)) throw new Error(`--${what}: "${entry}" is not name=µs`);
      return { name: name.trim(), microsPerTx };
    });
}

function number(value: string | undefined, what: string): number {
  const n = Number(value);
  if (value === undefined || !(n >= 0)) throw new Error(`--${what} needs a number of CPU µs per tx`);
  return n;
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const pipeline = figures(args.pipeline, 'pipeline');
  const cores = Number(args.cores);
  const target = Number(args.target);
  const read = number(args.read, 'read');
  const coordinate = number(args.coordinate, 'coordinate');
  // One evaluator's CPU per tx in the pipeline run is its processing plus its read and coordination.
  const oneEvaluator = pipeline.find((p) => p.name === 'evaluator')?.microsPerTx;
  const processing =
    args.process !== undefined
      ? number(args.process, 'process')
      : number(oneEvaluator === undefined ? undefined : String(oneEvaluator - read - coordinate), 'process');
  const costs = { readMicrosPerTx: read, coordinateMicrosPerTx: coordinate, processMicrosPerTx: processing };
  const total = pipeline.reduce((n, p) => n + p.microsPerTx, 0);
  const predicted = ceilingTxPerSecond(total, cores);
  const parts = pipeline.map((p) => `${p.name} ${p.microsPerTx}`).join(' + ');
  print(`pipeline: ${parts} = ${total.toFixed(1)} µs CPU per tx`);
  const check =
    args.measured === undefined
      ? ''
      : `; measured ${int(Number(args.measured))} tx/s (measured / predicted = ${(Number(args.measured) / predicted).toFixed(2)})`;
  print(`  ${cores} cores predict ${int(predicted)} tx/s${check}`);

  const leader = costs.readMicrosPerTx + costs.coordinateMicrosPerTx;
  const serial: SerialPoint[] = [
    ...figures(args.serial, 'serial'),
    { name: 'evaluator leader (read + coordinate)', microsPerTx: leader },
    { name: 'every evaluator (transaction-topic read)', microsPerTx: costs.readMicrosPerTx },
  ];
  print('serial points (one thread each):');
  for (const p of [...serial].sort((a, b) => b.microsPerTx - a.microsPerTx))
    print(
      `  ${p.name}: ${p.microsPerTx.toFixed(1)} µs per tx -> ${int(ceilingTxPerSecond(p.microsPerTx))} tx/s`,
    );
  const cap = firstCap(serial);
  print(`  first cap: ${cap.point.name} at ${int(cap.txPerSecond)} tx/s`);

  print(
    `N evaluators on N cores (leader: ${leader.toFixed(1)} + ${processing.toFixed(1)} / N µs per tx), the rest of the pipeline on cores of its own:`,
  );
  const others = total - processing - leader;
  for (const n of args.evaluators.split(',').map(Number)) {
    const evaluators = evaluatorsCeiling(n, costs);
    const rate = Math.min(evaluators, cap.txPerSecond);
    const limit = evaluators <= cap.txPerSecond ? 'the evaluators (leader core)' : cap.point.name;
    const cpu = coresAt(rate, others + coordinate + n * read + processing);
    print(
      `  N=${n}: evaluators ${int(evaluators)} tx/s; pipeline ${int(rate)} tx/s, capped by ${limit}; ~${cpu.toFixed(1)} cores busy`,
    );
  }
  print('evaluators the leader needs (one core each):');
  for (const rate of args.rates.split(',').map(Number)) {
    const n = evaluatorsFor(rate, costs);
    print(`  ${int(rate)} tx/s: ${n === null ? 'none suffices (the leader cannot keep up)' : `${n}`}`);
  }
  print(`at ${int(target)} tx/s:`);
  for (const p of pipeline)
    print(
      `  ${p.name}: ${coresAt(target, p.microsPerTx).toFixed(1)} cores (at the per-tx CPU measured above)`,
    );
  for (const p of serial) {
    const busy = coresAt(target, p.microsPerTx);
    print(`  ${p.name}: ${busy.toFixed(2)} of its one core${busy > 1 ? ' — cannot keep up' : ''}`);
  }
}

runBenchmark(main);
