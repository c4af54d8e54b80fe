// The waiting logic against scripted metadata answers: what counts as "not yet", what fails at
// once, and the timeout message. The real broker's behaviour is in test/integration.
import type { Admin } from 'kafkajs';
import { TopicNotReadyError, waitForLeaders } from '../src';

type Answer =
  | Error
  | Array<{
      name: string;
      partitions: Array<{ partitionId: number; leader: number; partitionErrorCode?: number }>;
    }>;

function protocolError(type: string): Error {
  return Object.assign(new Error(`broker said ${type}`), { type });
}

function scripted(answers: Answer[], offsetAnswers: Error[] = []): { admin: Admin; calls: () => number } {
  let calls = 0;
  const admin = {
    fetchTopicOffsets: async () => {
      const a = offsetAnswers.shift();
      if (a) throw a;
      return [];
    },
    fetchTopicMetadata: async () => {
      const a = answers[Math.min(calls, answers.length - 1)]!;
      calls++;
      if (a instanceof Error) throw a;
      return {
        topics: a.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionErrorCode: p.partitionErrorCode ?? 0,
            partitionId: p.partitionId,
            leader: p.leader,
            replicas: [p.leader],
            isr: [p.leader],
          })),
        })),
      };
    },
  } as unknown as Admin;
  return { admin, calls: () => calls };
}

const ready = [
  {
    name: 't',
    partitions: [
      { partitionId: 0, leader: 1 },
      { partitionId: 1, leader: 1 },
    ],
  },
];

describe('waitForLeaders', () => {
  it('keeps asking while the broker does not know the new topic yet', async () => {
    const s = scripted([
      protocolError('UNKNOWN_TOPIC_OR_PARTITION'),
      protocolError('LEADER_NOT_AVAILABLE'),
      ready,
    ]);
    await waitForLeaders(s.admin, ['t'], { pollMs: 1 });
    expect(s.calls()).toBe(3);
  });

  it('keeps asking while a partition has no leader or reports an error', async () => {
    const s = scripted([
      [
        {
          name: 't',
          partitions: [
            { partitionId: 0, leader: 1 },
            { partitionId: 1, leader: -1 },
          ],
        },
      ],
      [
        {
          name: 't',
          partitions: [
            { partitionId: 0, leader: 1 },
            { partitionId: 1, leader: 1, partitionErrorCode: 5 },
          ],
        },
      ],
      [{ name: 't', partitions: [] }],
      ready,
    ]);
    await waitForLeaders(s.admin, ['t'], { pollMs: 1 });
    expect(s.calls()).toBe(4);
  });

  it('keeps asking until the named leader answers as one, also after kafkajs gave up retrying', async () => {
    const gaveUp = Object.assign(new Error('retries exceeded'), {
      cause: protocolError('NOT_LEADER_FOR_PARTITION'),
    });
    const s = scripted([ready], [protocolError('NOT_LEADER_FOR_PARTITION'), gaveUp]);
    await waitForLeaders(s.admin, ['t'], { pollMs: 1 });
    expect(s.calls()).toBe(3);
  });

  it('fails at once on an error that waiting cannot fix', async () => {
    const s = scripted([protocolError('TOPIC_AUTHORIZATION_FAILED'), ready]);
    await expect(waitForLeaders(s.admin, ['t'], { pollMs: 1 })).rejects.toThrow(
      'broker said TOPIC_AUTHORIZATION_FAILED',
    );
    expect(s.calls()).toBe(1);
  });

  it('names the topics and the last answer when it times out', async () => {
    const s = scripted([
      [
        {
          name: 't',
          partitions: [
            { partitionId: 0, leader: 1 },
            { partitionId: 1, leader: -1 },
          ],
        },
      ],
    ]);
    const err = await waitForLeaders(s.admin, ['t'], { pollMs: 1, timeoutMs: 20 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TopicNotReadyError);
    expect((err as Error).message).toBe('topics not ready within 20 ms: t (no leader yet for t[1])');
  });

  it('does not ask about an empty list', async () => {
    const s = scripted([protocolError('UNKNOWN_TOPIC_OR_PARTITION')]);
    await waitForLeaders(s.admin, [], { pollMs: 1, timeoutMs: 1 });
    expect(s.calls()).toBe(0);
  });
});
