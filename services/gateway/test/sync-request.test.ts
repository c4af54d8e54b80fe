// The sync request body as the official client sends it (captured from @powersync/node 1.1.0,
// docs/protocol.md §8.4 of the brief), its `streams` field, and what is refused with which error.
import { parseSyncRequest, ParametersTooLargeError, SyncRequestError } from '../src/sync-request';

const CAPTURED = JSON.parse(
  '{"buckets":[{"name":"global[]","after":"4"}],"include_checksum":true,"raw_data":true,"binary_data":true,' +
    '"client_id":"76dd059a-616f-4a58-b041-ccc25c347342","parameters":{"team":"a"},' +
    '"streams":{"include_defaults":true,"subscriptions":[' +
    '{"stream":"list_todos","parameters":{"list":1},"override_priority":null},' +
    '{"stream":"org_todos","parameters":null,"override_priority":0}]},"app_metadata":{}}',
) as unknown;

describe('parseSyncRequest', () => {
  it('reads the buckets, client id, parameters and stream subscriptions the official client sends', () => {
    const request = parseSyncRequest(CAPTURED);
    expect(request.after).toEqual(new Map([['global[]', 4n]]));
    expect(request.clientId).toBe('76dd059a-616f-4a58-b041-ccc25c347342');
    expect(request.parameters).toEqual({ team: 'a' });
    expect(request.streams).toEqual({
      includeDefaults: true,
      subscriptions: [
        { stream: 'list_todos', parameters: { list: 1 }, overridePriority: null },
        { stream: 'org_todos', parameters: null, overridePriority: 0 },
      ],
    });
  });

  test.each([
    ['no streams field: the auto_subscribe streams only', {}, { includeDefaults: true, subscriptions: [] }],
    [
      'include_defaults false',
      { streams: { include_defaults: false, subscriptions: [] } },
      { includeDefaults: false, subscriptions: [] },
    ],
    [
      'include_defaults absent counts as true',
      { streams: { subscriptions: [{ stream: 's' }] } },
      { includeDefaults: true, subscriptions: [{ stream: 's', parameters: null, overridePriority: null }] },
    ],
    [
      'unknown stream names are kept (they reach no bucket later)',
      { streams: { subscriptions: [{ stream: 'nope', parameters: {}, override_priority: 3 }] } },
      { includeDefaults: true, subscriptions: [{ stream: 'nope', parameters: {}, overridePriority: 3 }] },
    ],
  ])('%s', (_name, body, streams) => {
    expect(parseSyncRequest(body).streams).toEqual(streams);
  });

  test.each([
    [
      'a subscription without a stream name',
      { streams: { subscriptions: [{}] } },
      /streams\.subscriptions\.0\.stream/,
    ],
    [
      'parameters that are not an object',
      { streams: { subscriptions: [{ stream: 's', parameters: [1] }] } },
      /streams\.subscriptions\.0\.parameters/,
    ],
    [
      'a priority outside 0..3',
      { streams: { subscriptions: [{ stream: 's', override_priority: 4 }] } },
      /streams\.subscriptions\.0\.override_priority/,
    ],
    ['include_defaults not a boolean', { streams: { include_defaults: 'yes' } }, /streams\.include_defaults/],
    ['a bucket after that is not an op id', { buckets: [{ name: 'b', after: '-1' }] }, /buckets\.0\.after/],
  ])('refuses %s (SYNC_E808)', (_name, body, message) => {
    const error = (() => {
      try {
        parseSyncRequest(body);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(SyncRequestError);
    expect((error as Error).message).toMatch(message);
  });

  it('counts the subscriptions’ parameters with the client parameters against the limit (SYNC_E807)', () => {
    const body = {
      parameters: { a: 'x'.repeat(40) },
      streams: { subscriptions: [{ stream: 's', parameters: { b: 'y'.repeat(40) } }] },
    };
    expect(() => parseSyncRequest(body, 120)).not.toThrow();
    expect(() => parseSyncRequest(body, 80)).toThrow(ParametersTooLargeError);
    expect(() => parseSyncRequest(body, 80)).toThrow(
      /client parameters are 96 bytes.*SYNCLINE_MAX_PARAMETER_BYTES/,
    );
  });
});
