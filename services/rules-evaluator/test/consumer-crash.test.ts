// Which kafkajs failures halt the evaluator, and which commit errors mean "join the group again".
import { consumerRetry, haltFor } from '../src/consumer-crash';
import { membershipLost } from '../src/group-commit';

function protocolError(type: string): Error {
  return Object.assign(new Error(`protocol ${type}`), { type, retriable: false });
}

function wrapped(cause: Error): Error {
  // kafkajs' retrier wraps a non-retriable error in KafkaJSNonRetriableError with the cause.
  return Object.assign(new Error(cause.message, { cause }), { name: 'KafkaJSNonRetriableError' });
}

describe('haltFor', () => {
  it('halts only when kafkajs gives the consumer up', () => {
    const error = new TypeError('x is undefined');
    expect(haltFor('change consumer', { error, restart: true })).toBeNull();
    const halt = haltFor('change consumer', { error, restart: false });
    expect(halt?.code).toBe('SYNC_E411');
    expect(halt?.message).toContain('change consumer stopped for good after TypeError: x is undefined');
    expect(halt?.cause).toBe(error);
  });
});

describe('consumerRetry', () => {
  it("keeps kafkajs' 5 retries and restarts a crashed consumer only until the evaluator stops", async () => {
    const stopping = new AbortController();
    const retry = consumerRetry(stopping.signal);
    expect(retry.retries).toBe(5);
    expect(await retry.restartOnFailure!(new Error('connect ECONNREFUSED'))).toBe(true);
    stopping.abort();
    expect(await retry.restartOnFailure!(new Error('connect ECONNREFUSED'))).toBe(false);
  });
});

describe('membershipLost', () => {
  it.each(['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP'])(
    'finds %s under the retrier wrapper',
    (type) => {
      const cause = protocolError(type);
      expect(membershipLost(wrapped(cause))).toBe(cause);
      expect(membershipLost(cause)).toBe(cause);
    },
  );

  it('leaves other errors alone', () => {
    expect(membershipLost(wrapped(protocolError('OFFSET_METADATA_TOO_LARGE')))).toBeNull();
    expect(membershipLost(new TypeError('boom'))).toBeNull();
    expect(membershipLost('a string')).toBeNull();
  });
});
