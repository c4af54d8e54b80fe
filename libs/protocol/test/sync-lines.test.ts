import {
  OpIdRangeError,
  SyncLineError,
  putChecksum,
  serializeSyncLine,
  sumChecksums,
  toSignedChecksum,
  type SyncLine,
} from '../src';

const row = '{"id":"t3","description":"local","completed":0}';

describe('serializeSyncLine', () => {
  test.each<[string, SyncLine, string]>([
    [
      'a checkpoint with op ids as strings and checksums as numbers',
      {
        kind: 'checkpoint',
        lastOpId: 9223372036854775807n,
        writeCheckpoint: 3n,
        buckets: [
          {
            bucket: 'global[]',
            checksum: -721471609,
            count: 3,
            priority: 3,
            subscriptions: [{ default: 0 }],
          },
        ],
        streams: [{ name: 'global', isDefault: true, errors: [] }],
      },
      '{"checkpoint":{"last_op_id":"9223372036854775807","write_checkpoint":"3","buckets":[{"bucket":"global[]","checksum":-721471609,"count":3,"priority":3,"subscriptions":[{"default":0}]}],"streams":[{"name":"global","is_default":true,"errors":[]}]}}',
    ],
    [
      'a checkpoint without a write checkpoint',
      { kind: 'checkpoint', lastOpId: 12n, writeCheckpoint: null, buckets: [] },
      '{"checkpoint":{"last_op_id":"12","buckets":[]}}',
    ],
    [
      'a checkpoint_diff',
      {
        kind: 'checkpoint_diff',
        lastOpId: 13n,
        updatedBuckets: [{ bucket: 'a', checksum: 5 }],
        removedBuckets: ['by_user["x"]'],
      },
      '{"checkpoint_diff":{"last_op_id":"13","updated_buckets":[{"bucket":"a","checksum":5}],"removed_buckets":["by_user[\\"x\\"]"]}}',
    ],
    [
      'a data line with every op kind',
      {
        kind: 'data',
        bucket: 'global[]',
        after: 0n,
        nextAfter: 6n,
        hasMore: false,
        ops: [
          {
            bucket: 'global[]',
            op: 'PUT',
            opId: 3n,
            objectType: 'todos',
            objectId: 't3',
            data: row,
            checksum: 464738854,
            subkey: 'sk',
          },
          {
            bucket: 'global[]',
            op: 'REMOVE',
            opId: 4n,
            objectType: 'todos',
            objectId: 't1',
            subkey: 'sk1',
            data: null,
            checksum: 123,
          },
          { op: 'MOVE', opId: 5n, checksum: 77 },
          { op: 'CLEAR', opId: 6n, checksum: 999 },
        ],
      },
      '{"data":{"bucket":"global[]","after":"0","next_after":"6","has_more":false,"data":[' +
        '{"op_id":"3","op":"PUT","object_type":"todos","object_id":"t3","data":"{\\"id\\":\\"t3\\",\\"description\\":\\"local\\",\\"completed\\":0}","checksum":464738854,"subkey":"sk"},' +
        '{"op_id":"4","op":"REMOVE","object_type":"todos","object_id":"t1","checksum":123,"subkey":"sk1"},' +
        '{"op_id":"5","op":"MOVE","checksum":77},{"op_id":"6","op":"CLEAR","checksum":999}]}}',
    ],
    [
      'a checkpoint_complete',
      { kind: 'checkpoint_complete', lastOpId: 13n },
      '{"checkpoint_complete":{"last_op_id":"13"}}',
    ],
    [
      'a partial_checkpoint_complete',
      { kind: 'partial_checkpoint_complete', lastOpId: 13n, priority: 1 },
      '{"partial_checkpoint_complete":{"last_op_id":"13","priority":1}}',
    ],
    [
      'a token_expires_in keepalive',
      { kind: 'token_expires_in', seconds: 3600 },
      '{"token_expires_in":3600}',
    ],
  ])('writes %s', (_name, line, expected) => {
    const text = serializeSyncLine(line);
    expect(text).toBe(`${expected}\n`);
    expect(Object.keys(JSON.parse(text) as object)).toEqual([line.kind]);
  });

  test('sends PUT data as a JSON string whose checksum matches the text sent', () => {
    const checksum = putChecksum('todos', 't3', row);
    const text = serializeSyncLine({
      kind: 'data',
      bucket: 'b',
      ops: [
        {
          bucket: 'b',
          op: 'PUT',
          opId: 1n,
          objectType: 'todos',
          objectId: 't3',
          subkey: 's',
          data: row,
          checksum,
        },
      ],
    });
    const op = (JSON.parse(text) as { data: { data: { data: unknown; checksum: number }[] } }).data.data[0];
    expect(typeof op?.data).toBe('string');
    expect(putChecksum('todos', 't3', op?.data as string)).toBe(op?.checksum);
  });

  test('escapes every string of a data line as JSON.stringify does', () => {
    const odd = 'q"uote \\ back\nline \u2028 \u0000 é 😀';
    const text = serializeSyncLine({
      kind: 'data',
      bucket: `by_user["${odd}"]`,
      ops: [
        {
          bucket: 'b',
          op: 'PUT',
          opId: 7n,
          objectType: odd,
          objectId: odd,
          subkey: odd,
          data: `{"v":${JSON.stringify(odd)}}`,
          checksum: 1,
        },
        {
          bucket: 'b',
          op: 'REMOVE',
          opId: 8n,
          objectType: odd,
          objectId: odd,
          subkey: odd,
          data: null,
          checksum: 2,
        },
      ],
    });
    expect(text.endsWith('\n')).toBe(true);
    expect(text.slice(0, -1)).not.toContain('\n');
    expect(JSON.parse(text)).toEqual({
      data: {
        bucket: `by_user["${odd}"]`,
        data: [
          {
            op_id: '7',
            op: 'PUT',
            object_type: odd,
            object_id: odd,
            data: `{"v":${JSON.stringify(odd)}}`,
            checksum: 1,
            subkey: odd,
          },
          { op_id: '8', op: 'REMOVE', object_type: odd, object_id: odd, checksum: 2, subkey: odd },
        ],
      },
    });
  });

  test('accepts a bucket checksum in the signed form', () => {
    const sum = toSignedChecksum(sumChecksums([0xffffffff, 0xffffffff]));
    const text = serializeSyncLine({
      kind: 'checkpoint',
      lastOpId: 1n,
      buckets: [{ bucket: 'b', checksum: sum }],
    });
    expect(text).toContain('"checksum":-2');
  });

  test.each<[string, SyncLine]>([
    ['an op id of 2^63', { kind: 'checkpoint_complete', lastOpId: 2n ** 63n }],
    ['a negative op id', { kind: 'checkpoint_complete', lastOpId: -1n }],
    [
      'a checksum past 2^32-1',
      { kind: 'checkpoint', lastOpId: 1n, buckets: [{ bucket: 'b', checksum: 2 ** 32 }] },
    ],
    ['a fractional checksum', { kind: 'data', bucket: 'b', ops: [{ op: 'MOVE', opId: 1n, checksum: 1.5 }] }],
    ['priority 2^31-1', { kind: 'partial_checkpoint_complete', lastOpId: 1n, priority: 2 ** 31 - 1 }],
    ['a negative priority', { kind: 'partial_checkpoint_complete', lastOpId: 1n, priority: -1 }],
    [
      'PUT data that is an object',
      {
        kind: 'data',
        bucket: 'b',
        ops: [
          {
            bucket: 'b',
            op: 'PUT',
            opId: 1n,
            objectType: 't',
            objectId: '1',
            subkey: 's',
            data: { id: 1 } as unknown as string,
            checksum: 1,
          },
        ],
      },
    ],
  ])('refuses %s', (_name, line) => {
    let error: unknown;
    try {
      serializeSyncLine(line);
    } catch (e) {
      error = e;
    }
    expect(error instanceof SyncLineError || error instanceof OpIdRangeError).toBe(true);
  });
});
