import { formatWriteCheckpoint, parseWriteCheckpoint, type WriteCheckpoint } from '../src';

describe('write checkpoint messages', () => {
  it.each([
    ['u1/c1:5', { userId: 'u1', clientId: 'c1', n: '5' }],
    ['org/u1/c-2:12', { userId: 'org/u1', clientId: 'c-2', n: '12' }],
    ['nonsense', null],
  ])('parses %s', (text, expected) => {
    expect(parseWriteCheckpoint(Buffer.from(text).toString('base64'))).toEqual(expected);
  });

  it('parses what it formats, user ids with slashes included', () => {
    const wcs: WriteCheckpoint[] = [
      { userId: 'u1', clientId: 'c1', n: '1' },
      { userId: 'org/team/u1', clientId: 'phone-2', n: '18446744073709551615' },
    ];
    for (const wc of wcs)
      expect(parseWriteCheckpoint(Buffer.from(formatWriteCheckpoint(wc)).toString('base64'))).toEqual(wc);
  });

  it.each([
    [{ userId: '', clientId: 'c', n: '1' }],
    [{ userId: 'u', clientId: 'a/b', n: '1' }],
    [{ userId: 'u', clientId: '', n: '1' }],
    [{ userId: 'u', clientId: 'c', n: '-1' }],
  ])('refuses to format %j, which would not parse back', (wc) => {
    expect(() => formatWriteCheckpoint(wc)).toThrow(RangeError);
  });
});
