// Which row states are tombstones, and which a trim at a horizon deletes (docs/consistency.md §2.6).
import { encodeOpIdMember } from '@syncline/protocol';
import { isRowTombstone, tombstonesAtOrBelow } from '../src';

describe('row-state tombstones', () => {
  it.each([
    ['{"raw":null,"memberships":[],"lookups":[]}', true],
    ['{"raw":null,"memberships":[],"lookups":[],"moved":"{\\"id\\":1}"}', true],
    ['{"raw":"{\\"id\\":1}","memberships":[],"lookups":[]}', false],
    ['{"raw":null,"memberships":[{"bucket":"b","type":"t","id":"1"}],"lookups":[]}', false],
    ['{"raw":null,"memberships":[],"lookups":[]x', false],
    ['', false],
  ])('%s is a tombstone: %s', (state, expected) => {
    expect(isRowTombstone(state)).toBe(expected);
  });

  it('picks the tombstones written at or below the horizon', () => {
    const dead = '{"raw":null,"memberships":[],"lookups":[]}';
    const live = '{"raw":"{}","memberships":[],"lookups":[]}';
    const fields = [
      ['1', encodeOpIdMember(9n) + dead],
      ['2', encodeOpIdMember(10n) + dead],
      ['3', encodeOpIdMember(11n) + dead],
      ['4', encodeOpIdMember(5n) + live],
    ] as const;
    expect(tombstonesAtOrBelow(fields, encodeOpIdMember(10n)).map(([pk]) => pk)).toEqual(['1', '2']);
  });
});
