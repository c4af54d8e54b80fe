import fc from 'fast-check';
import {
  DEFAULT_TOTAL_ORDER_BITS,
  MAX_OP_ID,
  OpIdRangeError,
  decodeOpIdMember,
  describeOpId,
  encodeOpIdMember,
  firstGeneration,
  formatOpId,
  nextGeneration,
  opIdLexRange,
  parseOpId,
  snapshotCheckpointOpId,
  snapshotOpId,
  streamBase,
  streamOpId,
  transactionCheckpointOpId,
  windowOpId,
  type OpIdErrorCode,
} from '../src';

const gen0 = firstGeneration();
const k = BigInt(DEFAULT_TOTAL_ORDER_BITS);
const maxOrder = (1n << k) - 1n;
const maxOffset = (MAX_OP_ID - streamBase(gen0)) >> k; // last END offset whose whole range fits

function errorCode(fn: () => unknown): OpIdErrorCode | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof OpIdRangeError) return e.code;
    throw e;
  }
  return undefined;
}

describe('op-id layout', () => {
  test('places streaming ops at base + endOffset * 2^k + total_order', () => {
    expect(streamBase(gen0)).toBe(2n ** 40n);
    expect(streamOpId(gen0, 0n, 1)).toBe(2n ** 40n + 1n);
    expect(streamOpId(gen0, 1n, 5)).toBe(2n ** 40n + 2n ** 22n + 5n);
    expect(streamOpId(gen0, 4242n, 17n)).toBe(2n ** 40n + 4242n * 2n ** 22n + 17n);
  });

  test('keeps snapshot ops above 0 and below every streaming op', () => {
    expect(snapshotOpId(gen0, 0n)).toBe(1n);
    expect(snapshotOpId(gen0, 2n ** 40n - 2n)).toBe(2n ** 40n - 1n);
    expect(snapshotCheckpointOpId(gen0)).toBe(2n ** 40n - 1n);
    expect(snapshotCheckpointOpId(gen0) < streamOpId(gen0, 0n, 1)).toBe(true);
  });

  test("gives a transaction's checkpoint an id above its ops and below the next transaction's", () => {
    const checkpoint = transactionCheckpointOpId(gen0, 7n);
    expect(checkpoint).toBe(streamOpId(gen0, 7n, maxOrder));
    expect(checkpoint < streamOpId(gen0, 8n, 1)).toBe(true);
  });

  test("places a transaction's snapshot-window rows above the transaction before it and below its first event", () => {
    expect(windowOpId(gen0, 8n)).toBe(2n ** 40n + 8n * 2n ** 22n);
    expect(windowOpId(gen0, 8n) > transactionCheckpointOpId(gen0, 7n)).toBe(true);
    expect(windowOpId(gen0, 8n) < streamOpId(gen0, 8n, 1)).toBe(true);
    expect(describeOpId(gen0, windowOpId(gen0, 8n))).toEqual({ kind: 'window', endOffset: 8n });
  });

  test('fits the last END offset of the layout below 2^63 and rejects the next', () => {
    expect(transactionCheckpointOpId(gen0, maxOffset)).toBeLessThanOrEqual(MAX_OP_ID);
    expect(errorCode(() => streamOpId(gen0, maxOffset + 1n, 1))).toBe('generation-exhausted');
  });

  test.each<[string, () => unknown, OpIdErrorCode]>([
    ['total_order 0', () => streamOpId(gen0, 0n, 0), 'total-order-out-of-range'],
    ['total_order 2^k', () => streamOpId(gen0, 0n, 1n << k), 'total-order-out-of-range'],
    ['a negative END offset', () => streamOpId(gen0, -1n, 1), 'offset-before-origin'],
    [
      'a snapshot sequence past the capacity',
      () => snapshotOpId(gen0, 2n ** 40n - 1n),
      'snapshot-capacity-exceeded',
    ],
    ['a negative snapshot sequence', () => snapshotOpId(gen0, -1n), 'snapshot-capacity-exceeded'],
    ['k of 0 bits', () => firstGeneration({ totalOrderBits: 0 }), 'invalid-generation'],
    [
      'a snapshot range that leaves no room',
      () => firstGeneration({ snapshotCapacity: MAX_OP_ID }),
      'invalid-generation',
    ],
  ])('fails loudly on %s', (_name, fn, code) => {
    expect(errorCode(fn)).toBe(code);
  });

  test('describes an op id back to its origin', () => {
    expect(describeOpId(gen0, streamOpId(gen0, 99n, 3))).toEqual({
      kind: 'stream',
      endOffset: 99n,
      totalOrder: 3n,
    });
    expect(describeOpId(gen0, snapshotOpId(gen0, 12n))).toEqual({ kind: 'snapshot', sequence: 12n });
    expect(errorCode(() => describeOpId(gen0, 0n))).toBe('not-in-generation');
  });

  test('is strictly monotonic in (END offset, total_order)', () => {
    const point = fc.tuple(fc.bigInt(0n, maxOffset), fc.bigInt(1n, maxOrder));
    fc.assert(
      fc.property(point, point, ([o1, t1], [o2, t2]) => {
        const before = o1 < o2 || (o1 === o2 && t1 < t2);
        const after = o1 > o2 || (o1 === o2 && t1 > t2);
        const a = streamOpId(gen0, o1, t1);
        const b = streamOpId(gen0, o2, t2);
        expect(a < b).toBe(before);
        expect(a > b).toBe(after);
        expect(a <= MAX_OP_ID && a > snapshotCheckpointOpId(gen0)).toBe(true);
        expect(describeOpId(gen0, a)).toEqual({ kind: 'stream', endOffset: o1, totalOrder: t1 });
      }),
    );
  });
});

describe('generations', () => {
  test('start the next generation above the old one and cap the old one there', () => {
    const lastOld = streamOpId(gen0, 1000n, 3);
    const { previous, next } = nextGeneration(gen0, transactionCheckpointOpId(gen0, 2000n), {
      offsetOrigin: 0n,
    });
    expect(next.generation).toBe(1);
    expect(snapshotOpId(next, 0n) > lastOld).toBe(true);
    expect(snapshotOpId(next, 0n) > transactionCheckpointOpId(previous, 2000n)).toBe(true);
    expect(streamOpId(next, 0n, 1) > snapshotCheckpointOpId(next)).toBe(true);
    expect(errorCode(() => streamOpId(previous, 2001n, 1))).toBe('generation-exhausted');
    expect(streamOpId(previous, 1000n, 3)).toBe(lastOld);
  });

  test('map a new transaction topic from its own origin offset', () => {
    const { next } = nextGeneration(gen0, 2n ** 50n, { offsetOrigin: 500n });
    expect(streamOpId(next, 500n, 1)).toBe(2n ** 50n + 2n ** 40n + 1n);
    expect(errorCode(() => streamOpId(next, 499n, 1))).toBe('offset-before-origin');
  });

  test('refuse to start inside the old generation', () => {
    expect(errorCode(() => nextGeneration(gen0, 5n))).toBe('invalid-generation');
    expect(errorCode(() => nextGeneration(gen0, MAX_OP_ID + 1n))).toBe('invalid-generation');
  });
});

describe('op ids on the wire and in Redis', () => {
  const opId = fc.bigInt(0n, MAX_OP_ID);

  test.each([
    [0n, '0000000000000000'],
    [1n, '0000000000000001'],
    [2n ** 53n + 1n, '0020000000000001'],
    [MAX_OP_ID, '7fffffffffffffff'],
  ])('encodes %s as the member %s', (id, member) => {
    expect(encodeOpIdMember(id)).toBe(member);
    expect(decodeOpIdMember(member)).toBe(id);
  });

  test('decodes the op id of a member that carries a suffix', () => {
    expect(decodeOpIdMember(`${encodeOpIdMember(300n)}|todos/t1`)).toBe(300n);
    expect(() => decodeOpIdMember('12')).toThrow(OpIdRangeError);
  });

  test('round-trip through the member encoding', () => {
    fc.assert(fc.property(opId, (id) => expect(decodeOpIdMember(encodeOpIdMember(id))).toBe(id)));
  });

  test('order members lexicographically exactly as the op ids', () => {
    fc.assert(
      fc.property(opId, opId, (a, b) => {
        const ma = encodeOpIdMember(a);
        const mb = encodeOpIdMember(b);
        expect(Math.sign(ma < mb ? -1 : ma > mb ? 1 : 0)).toBe(a < b ? -1 : a > b ? 1 : 0);
      }),
    );
  });

  test('select (after, upTo] with ZRANGEBYLEX bounds, suffixed members included', () => {
    fc.assert(
      fc.property(fc.array(opId, { maxLength: 30 }), opId, opId, (ids, x, y) => {
        const [after, upTo] = x < y ? [x, y] : [y, x];
        const { min, max } = opIdLexRange(after, upTo);
        const members = ids.map((id) => `${encodeOpIdMember(id)}:row`);
        // Emulate ZRANGEBYLEX: min is "[" inclusive, max is "(" exclusive.
        const selected = members.filter((m) => m >= min.slice(1) && m < max.slice(1)).map(decodeOpIdMember);
        expect(selected).toEqual(ids.filter((id) => id > after && id <= upTo));
      }),
    );
  });

  test('formats and parses decimal op ids strictly', () => {
    expect(formatOpId(MAX_OP_ID)).toBe('9223372036854775807');
    expect(parseOpId('9223372036854775807')).toBe(MAX_OP_ID);
    for (const bad of ['9223372036854775808', '-1', '01', '1e3', '', ' 1']) {
      expect(() => parseOpId(bad)).toThrow(OpIdRangeError);
    }
    fc.assert(fc.property(opId, (id) => expect(parseOpId(formatOpId(id))).toBe(id)));
  });
});
