import { parseBatchLines } from '../src/log-segments';

// Lines as Kafka 4.3.1's DumpLogSegments prints them (trimmed after the fields we read).
const OUTPUT = `Dumping /data/t.s.accounts-0/00000000000000000000.log
Log starting offset: 0
baseOffset: 0 lastOffset: 6 count: 7 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 0 isTransactional: false isControl: false deleteHorizonMs: OptionalLong.empty position: 0 CreateTime: 1796242788763 size: 20717 magic: 2 compresscodec: none crc: 3022820334 isvalid: true
baseOffset: 7 lastOffset: 16 count: 10 baseSequence: 4 lastSequence: 13 producerId: 1003 producerEpoch: 0 partitionLeaderEpoch: 0 isTransactional: true isControl: false deleteHorizonMs: OptionalLong.empty position: 20717 CreateTime: 1796242792040 size: 29627 magic: 2 compresscodec: none crc: 643659 isvalid: true
`;

describe('parseBatchLines', () => {
  it('reads offsets, producer id, sequence and the transactional flag of each batch', () => {
    expect(parseBatchLines(OUTPUT)).toEqual([
      { baseOffset: 0n, lastOffset: 6n, producerId: -1n, baseSequence: -1, transactional: false },
      { baseOffset: 7n, lastOffset: 16n, producerId: 1003n, baseSequence: 4, transactional: true },
    ]);
  });

  it('fails loudly on a batch line it cannot read', () => {
    expect(() => parseBatchLines('baseOffset: 0 lastOffset: 6 count: 7')).toThrow(/without producerId/);
  });
});
