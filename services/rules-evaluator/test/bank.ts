// The bank workload of the integration and fault tests: accounts whose balances always sum to a
// constant in Postgres, transfers between accounts in different partitions, and a checker that
// materializes the bucket at EVERY published checkpoint (the sum must hold, the stored checksum
// must match the ops) and compares the final state with Postgres.
import { Client } from 'pg';
import { murmur2 } from '@syncline/bucket-topic';
import type { Checkpoint } from '@syncline/bucket-store';
import { parseOpId } from '@syncline/protocol';
import {
  getTestStack,
  materialize,
  followCheckpoints,
  type CdcCapture,
  type DeploymentState,
} from '@syncline/test-kit';

export const ACCOUNTS = 24;
export const START_BALANCE = 1000;
export const TOTAL = ACCOUNTS * START_BALANCE;
export const BANK_BUCKET = 'bank[]';

export const BANK_RULES = `
bucket_definitions:
  bank:
    data:
      - SELECT id, balance FROM accounts
`;

export const BANK_SETUP_SQL = `CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL);`;

export async function insertAccounts(capture: CdcCapture): Promise<void> {
  const values = Array.from({ length: ACCOUNTS }, (_, i) => `(${i + 1}, ${START_BALANCE})`).join(',');
  await capture.pg.query(`INSERT INTO accounts VALUES ${values}`);
}

/** Kafka's default partitioner on Debezium's JSON key `{"id":n}`. */
export function partitionOf(id: number, partitions: number): number {
  return (murmur2(Buffer.from(`{"id":${id}}`)) & 0x7fffffff) % partitions;
}

export interface TransferOptions {
  readonly workers: number;
  readonly each: number;
  readonly partitions: number;
  /** Pause after each transfer of a worker. */
  readonly pauseMs: number;
  /** Stops the transfers early (each worker finishes the one in progress). */
  readonly signal?: AbortSignal;
}

/** Concurrent two-row transfers between accounts of different partitions. */
export async function transfers(capture: CdcCapture, o: TransferOptions): Promise<void> {
  const pairs: [number, number][] = [];
  for (let a = 1; a <= ACCOUNTS; a++)
    for (let b = 1; b <= ACCOUNTS; b++)
      if (partitionOf(a, o.partitions) !== partitionOf(b, o.partitions)) pairs.push([a, b]);
  await Promise.all(
    Array.from({ length: o.workers }, async (_, w) => {
      const pg = new Client({ connectionString: getTestStack().endpoints.pgUrl });
      await pg.connect();
      await pg.query(`SET search_path TO ${capture.schema}`);
      try {
        for (let i = 0; i < o.each && !o.signal?.aborted; i++) {
          const [a, b] = pairs[(w * 7919 + i * 104729) % pairs.length]!;
          const amount = 1 + ((w + i) % 50);
          await pg.query('BEGIN');
          // Lock in id order so concurrent transfers cannot deadlock.
          const [first, second] = a < b ? [a, b] : [b, a];
          await pg.query('SELECT 1 FROM accounts WHERE id IN ($1, $2) ORDER BY id FOR UPDATE', [
            first,
            second,
          ]);
          await pg.query('UPDATE accounts SET balance = balance - $2 WHERE id = $1', [a, amount]);
          await pg.query('UPDATE accounts SET balance = balance + $2 WHERE id = $1', [b, amount]);
          await pg.query('COMMIT');
          if (o.pauseMs > 0) await new Promise((r) => setTimeout(r, o.pauseMs));
        }
      } finally {
        await pg.end();
      }
    }),
  );
}

/** Checks the bank invariant at every checkpoint the deployment publishes. */
export class BankChecker {
  readonly violations: string[] = [];
  verified = 0;
  /**
   * Checkpoints not verifiable any more when read: compaction had already superseded past them
   * (a gateway moves a client on from such a checkpoint; docs/consistency.md 2.6).
   */
  compactedPast = 0;
  /** Verification waits for this (a test that rewrites Redis key by key holds it meanwhile). */
  private gate = Promise.resolve();
  private following: Awaited<ReturnType<typeof followCheckpoints>> | null = null;

  constructor(private readonly state: DeploymentState) {}

  /** Every checkpoint published since start(), in order (verified or queued). */
  get seen(): readonly Checkpoint[] {
    return this.following?.published ?? [];
  }

  async start(): Promise<void> {
    this.following = await followCheckpoints(this.state, async (cp) => {
      await this.gate;
      await this.verify(cp);
    });
  }

  /**
   * Holds verification until the returned release is called, after what is queued now: Redis
   * rewritten key by key is in no state a checkpoint ever described, and reading it half-way would
   * report a violation of the test's own making.
   */
  async hold(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await this.settled();
    this.gate = held;
    return release;
  }

  /** Waits until every checkpoint seen so far is verified. */
  settled(): Promise<void> {
    return this.following?.settled() ?? Promise.resolve();
  }

  /** Stops verifying and waits for the verification in flight (call before closing Redis). */
  async close(): Promise<void> {
    await this.following?.close();
  }

  private async verify(cp: Checkpoint): Promise<void> {
    // The stored checksum first, then the ops, in the gateway's order (its checkpoint line, then
    // the data): a CLEAR written between the two reads shows in the ops (a target above `cp`) and
    // the checkpoint counts as compacted past. Read the other way round, a CLEAR above `cp` landing
    // between them changed the checksum after a complete read of the ops, which no client can see.
    const [stored] = await this.state.reader.checksumsAt([BANK_BUCKET], parseOpId(cp.lastOpId));
    const { rows, checksum, complete } = await materialize(this.state, BANK_BUCKET, parseOpId(cp.lastOpId));
    if (!complete) {
      this.compactedPast++;
      return;
    }
    this.verified++;
    if (rows.size === 0) return; // before the accounts' insert is covered
    let sum = 0;
    for (const data of rows.values()) sum += Number(JSON.parse(data).balance);
    if (rows.size !== ACCOUNTS || sum !== TOTAL)
      this.violations.push(`checkpoint ${cp.lastOpId}: ${rows.size} accounts summing to ${sum}`);
    if (stored!.checksum !== checksum)
      this.violations.push(`checkpoint ${cp.lastOpId}: checksum ${stored!.checksum} != ${checksum}`);
  }

  /** The bucket at `checkpoint` next to Postgres' accounts, both as `accounts/<id>` -> row. */
  async bucketAndPostgres(
    capture: CdcCapture,
    checkpoint: Checkpoint,
  ): Promise<{ bucket: Map<string, unknown>; postgres: Map<string, unknown> }> {
    const { rows } = await materialize(this.state, BANK_BUCKET, parseOpId(checkpoint.lastOpId));
    const pg = await capture.pg.query<{ id: number; balance: string }>(
      'SELECT id, balance FROM accounts ORDER BY id',
    );
    return {
      bucket: new Map([...rows].map(([k, v]) => [k, JSON.parse(v) as unknown])),
      postgres: new Map(pg.rows.map((r) => [`accounts/${r.id}`, { id: r.id, balance: Number(r.balance) }])),
    };
  }

  /** Published checkpoints whose op id does not exceed the one before. */
  notIncreasing(): string[] {
    const out: string[] = [];
    for (let i = 1; i < this.seen.length; i++)
      if (parseOpId(this.seen[i]!.lastOpId) <= parseOpId(this.seen[i - 1]!.lastOpId))
        out.push(`${this.seen[i - 1]!.lastOpId} then ${this.seen[i]!.lastOpId}`);
    return out;
  }
}
