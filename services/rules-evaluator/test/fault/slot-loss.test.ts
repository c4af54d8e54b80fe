// Fault: the replication slot is lost during bank transfers. The connector is removed (Connect
// keeps its offsets), its slot dropped, transfers go on and a note is deleted and another changed
// while nothing captures them, and the connector comes back with snapshot.mode=when_needed: Debezium
// snapshots every table again at a later LSN, then streams (docs/consistency.md §3.2). The
// evaluators must place that snapshot in place, above the checkpoint, in one checkpoint: the bank
// invariant holds at every checkpoint (a checkpoint holding part of the snapshot would mix new and
// old balances), and at the end the buckets equal Postgres, without the note deleted in the gap.
import { parseOpId } from '@syncline/protocol';
import { getTestStack, materialize, readUntil, testKafka } from '@syncline/test-kit';
import {
  expectConsistent,
  moreCheckpoints,
  startBankDeployment,
  underTransfers,
  type BankDeployment,
} from './faults';

jest.setTimeout(420_000);

const NOTES = 'notes[]';

async function connect(path: string, init?: RequestInit): Promise<Response> {
  return fetch(`${getTestStack().endpoints.connectUrl}${path}`, init);
}

describe('a replication slot lost during transfers, and the connector snapshotting again', () => {
  let bank: BankDeployment;

  afterAll(async () => {
    await bank?.close();
  });

  it('places the second snapshot whole, above the checkpoint, and removes what the gap deleted', async () => {
    bank = await startBankDeployment('fault_slot', {
      evaluators: 2,
      extraSql:
        ` CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL); INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 20) g;` +
        ' CREATE TABLE bulk (id int PRIMARY KEY, body text NOT NULL);',
      extraRules: '  notes:\n    data:\n      - SELECT id, body FROM notes\n',
    });
    const { capture } = bank;
    const name = capture.name;
    const slot = `${name}_slot`;
    const final = await underTransfers(bank, async () => {
      // no_data: the notes were never snapshotted; stream a change of each so the bucket has them.
      await capture.pg.query(`UPDATE notes SET body = body || '.'`);
      await moreCheckpoints(bank, 5, 'checkpoints before the slot is lost');
      const config = (await (await connect(`/connectors/${name}/config`)).json()) as Record<string, string>;
      // A large transaction that changes notes first: the connector is removed while it streams it,
      // so its BEGIN and note events are usually in Kafka without its END (cut off), which must
      // neither hold a truncate nor leave its events waiting.
      await capture.pg.query(
        `BEGIN; UPDATE notes SET body = body || '!' WHERE id > 10; ` +
          `INSERT INTO bulk SELECT g, repeat('x', 200) FROM generate_series(1, 60000) g; COMMIT;`,
      );
      await new Promise((r) => setTimeout(r, 300));
      expect((await connect(`/connectors/${name}`, { method: 'DELETE' })).status).toBe(204);
      for (let i = 0; ; i++) {
        const { rows } = await capture.pg.query<{ active: boolean }>(
          'SELECT active FROM pg_replication_slots WHERE slot_name = $1',
          [slot],
        );
        if (rows[0]?.active === false) break;
        if (i > 100) throw new Error(`slot ${slot} stayed active after the connector was removed`);
        await new Promise((r) => setTimeout(r, 200));
      }
      await capture.pg.query('SELECT pg_drop_replication_slot($1)', [slot]);
      // Nothing captures these: only the second snapshot can tell the buckets.
      await capture.pg.query(`DELETE FROM notes WHERE id = 3`);
      await capture.pg.query(`UPDATE notes SET body = 'changed in the gap' WHERE id = 4`);
      await new Promise((r) => setTimeout(r, 2000)); // transfers go on uncaptured
      const again = await connect(`/connectors/${name}/config`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...config, 'snapshot.mode': 'when_needed' }),
      });
      expect(again.status).toBe(201);
      await moreCheckpoints(bank, 10, 'checkpoints after the second snapshot', 180_000);
    });
    await expectConsistent(bank, final);

    // The fault happened: the accounts were read by a snapshot (they were only ever streamed before).
    const kafka = testKafka(getTestStack().endpoints.kafkaBrokers);
    const records = await readUntil(
      kafka,
      [capture.tableTopic('accounts')],
      (r) => r.some((m) => /"op":"r"/.test(m.value ?? '')),
      60_000,
    );
    expect(records.some((m) => /"op":"r"/.test(m.value ?? ''))).toBe(true);
    const admin = kafka.admin();
    await admin.connect();
    const [txEnd] = await admin.fetchTopicOffsets(capture.transactionTopic).finally(() => admin.disconnect());
    const tx = await readUntil(
      kafka,
      [capture.transactionTopic],
      (r) => r.length >= Number(txEnd!.high),
      60_000,
    );
    const status = (value: string | null, kind: string) =>
      new RegExp(`"status":"${kind}"`).test(value ?? '') ? /"id":"(\d+):/.exec(value!)?.[1] : undefined;
    const ended = new Set(tx.map((m) => status(m.value, 'END')).filter(Boolean));
    const cutOff = tx.map((m) => status(m.value, 'BEGIN')).filter((x) => x !== undefined && !ended.has(x));
    process.stderr.write(`slot-loss: ${cutOff.length} transaction(s) cut off by the connector's removal\n`);

    const notes = await materialize(bank.state, NOTES, parseOpId(final.lastOpId));
    const pg = await capture.pg.query<{ id: number; body: string }>('SELECT id, body FROM notes ORDER BY id');
    expect(pg.rows).toHaveLength(19);
    expect([...notes.rows.keys()].sort()).toEqual(pg.rows.map((r) => `notes/${r.id}`).sort());
    for (const row of pg.rows)
      expect(JSON.parse(notes.rows.get(`notes/${row.id}`)!)).toEqual({ id: row.id, body: row.body });
    expect(bank.output()).not.toMatch(/SYNC_E409/);
  });
});
