// The verification client's bookkeeping follows the official client's: superseded and removed ops
// keep counting toward the bucket checksum, a wrong checksum is caught and the bucket dropped, and
// the protocol's ordering rules are enforced.
import { putChecksum, removeChecksum } from '@syncline/protocol';
import { ClientState, ProtocolViolation } from '../src/client-state';

const put = (opId: string, id: string, data: string) => ({
  op_id: opId,
  op: 'PUT',
  object_type: 't',
  object_id: id,
  subkey: id,
  data,
  checksum: putChecksum('t', id, data),
});
const remove = (opId: string, id: string) => ({
  op_id: opId,
  op: 'REMOVE',
  object_type: 't',
  object_id: id,
  subkey: id,
  checksum: removeChecksum(id),
});
const sum = (...xs: number[]) => xs.reduce((a, b) => (a + b) >>> 0, 0);

describe('ClientState', () => {
  it('keeps superseded and removed ops in the checksum and shows the rows of completed checkpoints', () => {
    const s = new ClientState();
    const ops = [
      put('1', 'a', '{"id":"a","v":1}'),
      put('2', 'a', '{"id":"a","v":2}'),
      put('3', 'b', '{"id":"b"}'),
    ];
    s.apply({
      checkpoint: {
        last_op_id: '3',
        buckets: [{ bucket: 'x', checksum: sum(...ops.map((o) => o.checksum)) }],
      },
    });
    s.apply({ data: { bucket: 'x', data: ops } });
    s.apply({ checkpoint_complete: { last_op_id: '3' } });
    expect(s.failures).toEqual([]);
    expect([...s.lastCompleted!.rows]).toEqual([
      ['t/a', '{"id":"a","v":2}'],
      ['t/b', '{"id":"b"}'],
    ]);
    const r = remove('4', 'b');
    s.apply({
      checkpoint_diff: {
        last_op_id: '4',
        updated_buckets: [{ bucket: 'x', checksum: sum(...ops.map((o) => o.checksum), r.checksum) }],
        removed_buckets: [],
      },
    });
    s.apply({ data: { bucket: 'x', data: [r] } });
    s.apply({ checkpoint_complete: { last_op_id: '4' } });
    expect(s.failures).toEqual([]);
    expect([...s.lastCompleted!.rows.keys()]).toEqual(['t/a']);
    expect(s.bucketRequests()).toEqual([{ name: 'x', after: '4' }]);
  });

  it('catches a wrong checksum and drops the bucket, as the official client does', () => {
    const s = new ClientState();
    const op = put('1', 'a', '{"id":"a"}');
    s.apply({ checkpoint: { last_op_id: '1', buckets: [{ bucket: 'x', checksum: op.checksum + 1 }] } });
    s.apply({ data: { bucket: 'x', data: [op] } });
    s.apply({ checkpoint_complete: { last_op_id: '1' } });
    expect(s.failures).toHaveLength(1);
    expect(s.completed).toEqual([]);
    expect(s.bucketRequests()).toEqual([]);
  });

  it('refuses lines that break the protocol', () => {
    const s = new ClientState();
    expect(() =>
      s.apply({ checkpoint_diff: { last_op_id: '1', updated_buckets: [], removed_buckets: [] } }),
    ).toThrow(ProtocolViolation);
    // An op id as a JSON number, data for a bucket the checkpoint does not list, an op above it.
    expect(() => s.apply({ checkpoint: { last_op_id: 5, buckets: [] } })).toThrow(ProtocolViolation);
    s.apply({ checkpoint: { last_op_id: '5', buckets: [{ bucket: 'x', checksum: 0 }] } });
    expect(() => s.apply({ data: { bucket: 'y', data: [] } })).toThrow(ProtocolViolation);
    expect(() => s.apply({ data: { bucket: 'x', data: [put('6', 'a', '{}')] } })).toThrow(ProtocolViolation);
  });
});
