// Fault: an incremental snapshot during live traffic. A `notes` table filled before the connector
// started (snapshot.mode=no_data, so no initial snapshot of it) is read by a Debezium incremental
// snapshot (a signal-table insert, small chunks) while bank transfers run: a table added later.
// Every chunk's rows must get op ids above the checkpoint published before the signal, so a client
// that syncs incrementally (ops after the checkpoint it holds) receives them and its checksum
// matches the server's at every checkpoint; no checkpoint holds part of the snapshot (the
// evaluators read the connector's notifications and hold the checkpoint until it completed); the
// bank invariant holds at every checkpoint, and in the end the bucket equals Postgres.
import type { Checkpoint } from '@syncline/bucket-store';
import { followCheckpoints, materialize, syncTo, waitFor } from '@syncline/test-kit';
import { parseOpId, sumChecksums } from '@syncline/protocol';
import { expectConsistent, startBankDeployment, underTransfers, type BankDeployment } from './faults';

jest.setTimeout(300_000);

const NOTES = 3000;
const CHUNK = 250;
const NOTES_BUCKET = 'notes[]';

/** A client that holds a bucket's ops up to the last checkpoint and fetches only the ops after it. */
class IncrementalClient {
  readonly mismatches: string[] = [];
  /** Checkpoints holding part of the snapshot (notes are never changed: a whole one has NOTES rows). */
  readonly partial: string[] = [];
  /** Note counts of the checkpoints seen, without repeats. */
  readonly counts: number[] = [];
  synced = 0;
  private holds = 0n;
  private checksum = 0;

  constructor(private readonly bank: BankDeployment) {}

  async sync(cp: Checkpoint): Promise<void> {
    const upTo = parseOpId(cp.lastOpId);
    const ops = await this.bank.state.reader.opsBetween(NOTES_BUCKET, this.holds, upTo, 1_000_000);
    this.checksum = sumChecksums([this.checksum, ...ops.map((o) => o.checksum)]);
    this.holds = upTo;
    this.synced++;
    const [server] = await this.bank.state.reader.checksumsAt([NOTES_BUCKET], upTo);
    if (server!.checksum !== this.checksum)
      this.mismatches.push(`checkpoint ${cp.lastOpId}: client ${this.checksum}, server ${server!.checksum}`);
    if (server!.count !== 0 && server!.count !== NOTES)
      this.partial.push(`checkpoint ${cp.lastOpId}: ${server!.count} notes`);
    if (this.counts[this.counts.length - 1] !== server!.count) this.counts.push(server!.count);
  }
}

describe('an incremental snapshot during live traffic', () => {
  let bank: BankDeployment;

  afterAll(async () => {
    await bank?.close();
  });

  it('places every chunk above the checkpoint before it, checkpoints the snapshot whole, and converges', async () => {
    bank = await startBankDeployment('fault_incr', {
      evaluators: 2,
      extraSql:
        ' CREATE TABLE debezium_signal (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048));' +
        ` CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL); INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, ${NOTES}) g;`,
      extraRules: '  notes:\n    data:\n      - SELECT id, body FROM notes\n',
      signalTable: 'debezium_signal',
      overrides: { 'incremental.snapshot.chunk.size': String(CHUNK) },
    });
    const { capture, state } = bank;
    const client = new IncrementalClient(bank);
    const following = await followCheckpoints(state, (cp) => client.sync(cp));
    let before: Checkpoint | undefined;
    try {
      const final = await underTransfers(bank, async () => {
        before = await syncTo(capture, state, 120_000);
        await capture.pg.query(`INSERT INTO debezium_signal VALUES ('snap-1', 'execute-snapshot', $1)`, [
          JSON.stringify({ 'data-collections': [`${capture.schema}.notes`], type: 'incremental' }),
        ]);
        // Transfers keep running while the chunks arrive.
        await waitFor(
          'every note in a checkpoint',
          async () => {
            const last = bank.checker.seen[bank.checker.seen.length - 1];
            if (last === undefined) return false;
            return (await materialize(state, NOTES_BUCKET, parseOpId(last.lastOpId))).rows.size === NOTES;
          },
          180_000,
        );
      });
      await following.settled();
      await expectConsistent(bank, final);
      const notes = await materialize(state, NOTES_BUCKET, parseOpId(final.lastOpId));
      const pg = await capture.pg.query<{ id: number; body: string }>('SELECT id, body FROM notes');
      expect(notes.rows.size).toBe(NOTES);
      for (const row of pg.rows)
        expect(JSON.parse(notes.rows.get(`notes/${row.id}`)!)).toEqual({
          id: row.id,
          body: row.body,
        });
      // Every snapshot row lies above the checkpoint a client held when the snapshot began ...
      const below = notes.ops.filter((o) => o.opId <= parseOpId(before!.lastOpId));
      expect(below).toEqual([]);
      // ... came in several windows (chunks) ...
      expect(new Set(notes.ops.map((o) => o.opId)).size).toBeGreaterThan(3);
      // ... all in one checkpoint: no checkpoint held part of the snapshot, and the client went
      // from none of the notes to all of them ...
      expect(client.partial).toEqual([]);
      expect(client.counts).toEqual([0, NOTES]);
      // ... and a client syncing only what is after its checkpoint always matched the server.
      expect(client.synced).toBeGreaterThan(5);
      expect(client.mismatches).toEqual([]);
    } finally {
      await following.close();
    }
  });
});
