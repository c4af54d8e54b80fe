// Property tests: evaluation is deterministic and bucket names round-trip (lossless JSON's own
// properties live in libs/lossless-json).
import fc from 'fast-check';
import { stringifyJson } from '@syncline/lossless-json';
import type { SqliteJsonValue } from '@syncline/sqlite-value';
import { parseBucketName, serializeBucketName } from '../src';
import { BucketNameCache } from '../src/bucket-name';
import { compileValid } from './helpers';

const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const bucketValue: fc.Arbitrary<SqliteJsonValue> = fc.oneof(
  fc.constant(null),
  int64,
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string(),
);
const definitionName = fc.string({ minLength: 1 }).filter((s) => !s.includes('['));

/** What a value becomes in a bucket name: whole numbers become integers, -0 becomes 0. */
function canonical(value: SqliteJsonValue): SqliteJsonValue {
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  return value;
}

describe('bucket names', () => {
  test('parse(serialize(name, values)) gives back the name and canonical values', () => {
    fc.assert(
      fc.property(definitionName, fc.array(bucketValue, { maxLength: 4 }), (name, values) => {
        const serialized = serializeBucketName(name, values);
        const parsed = parseBucketName(serialized);
        expect(parsed.definition).toBe(name);
        expect(parsed.parameters).toEqual(values.map(canonical));
        expect(serializeBucketName(parsed.definition, parsed.parameters)).toBe(serialized);
      }),
    );
  });

  test('equal numbers serialize the same', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), (n) => {
        expect(serializeBucketName('b', [n])).toBe(serializeBucketName('b', [BigInt(n)]));
      }),
    );
    expect(serializeBucketName('by_org_and_user', [1, 'abc'])).toBe('by_org_and_user[1,"abc"]');
    expect(serializeBucketName('by_org_and_user', [1.0, 'abc'])).toBe('by_org_and_user[1,"abc"]');
  });
});

describe('evaluation', () => {
  const rules = compileValid(`
bucket_definitions:
  by_owner:
    parameters: SELECT request.user_id() AS owner
    data:
      - SELECT id, upper(name) AS name, n + 1 AS next FROM t WHERE owner = bucket.owner AND (n > 0 OR name IS NULL)
  by_tag:
    parameters: SELECT value AS tag FROM json_each(request.jwt() -> 'tags')
    data:
      - SELECT * FROM t WHERE bucket.tag IN tags
`);
  const row = fc.record({
    id: fc.oneof(int64, fc.string()),
    owner: fc.oneof(fc.constant(null), fc.string(), int64),
    name: fc.oneof(fc.constant(null), fc.string()),
    n: fc.oneof(fc.constant(null), int64, fc.double({ noNaN: true })),
    tags: fc.array(fc.oneof(fc.string(), fc.integer())).map((a) => JSON.stringify(a)),
  });

  test('evaluateRow is deterministic and every bucket name parses', () => {
    fc.assert(
      fc.property(row, (r) => {
        const first = rules.evaluateRow('t', r);
        const second = rules.evaluateRow('t', { ...r });
        expect(second).toEqual(first);
        for (const op of first) {
          const parsed = parseBucketName(op.bucket);
          expect(['by_owner', 'by_tag']).toContain(parsed.definition);
          expect(op.id).toBe(typeof r.id === 'string' ? r.id : r.id.toString());
        }
      }),
    );
  });

  test('a row is in by_owner[owner] exactly when its owner is set and the filter holds', () => {
    fc.assert(
      fc.property(row, (r) => {
        const inOwnerBucket = rules.evaluateRow('t', r).some((op) => op.bucket.startsWith('by_owner['));
        const filter = r.name === null || (r.n !== null && r.n > 0);
        expect(inOwnerBucket).toBe(r.owner !== null && filter);
      }),
    );
  });
});

describe('specialised bucket naming', () => {
  // evaluateRow names buckets through compileBucketNames (a scratch tuple for plain AND WHEREs);
  // it must name exactly the tuples the general bucketParameters evaluation yields, in order.
  const rules = compileValid(`
bucket_definitions:
  none:
    data:
      - SELECT id FROM t WHERE n > 0
  one:
    parameters: SELECT request.user_id() AS a
    data:
      - SELECT id FROM t WHERE a = bucket.a AND NOT flag
      - SELECT id FROM t WHERE bucket.a IN tags AND b = bucket.a
      - SELECT id FROM t WHERE a = bucket.a OR b = bucket.a
  two:
    parameters: SELECT request.user_id() AS a, token_parameters.b AS b
    data:
      - SELECT id FROM t WHERE a = bucket.a AND b = bucket.b AND n > 0
      - SELECT id FROM t WHERE bucket.b IN tags AND (a = bucket.a AND flag)
`);
  const value = fc.oneof(
    fc.constant(null),
    fc.constantFrom('x', 'y'),
    fc.constantFrom(1n, 2n),
    fc.constant(2),
  );
  const row = fc.record({
    id: fc.string(),
    a: value,
    b: value,
    n: fc.oneof(fc.constant(null), fc.integer({ min: -1, max: 1 }).map(BigInt)),
    flag: fc.oneof(fc.constant(null), fc.constantFrom(0n, 1n)),
    tags: fc.array(value, { maxLength: 4 }).map((a) => stringifyJson(a)),
  });

  test('names the same buckets, in the same order, as the general parameter tuples', () => {
    const cases = rules.definitions.flatMap((definition) =>
      definition.dataQueries.map((query) => ({
        name: definition.name,
        query,
        collect: query.compileBucketNames(new BucketNameCache(definition.name)),
      })),
    );
    const out: string[] = [];
    fc.assert(
      fc.property(row, (r) => {
        for (const { name, query, collect } of cases) {
          const ctx = { row: r, request: undefined };
          const count = collect(ctx, out);
          const expected = query.bucketParameters(ctx).map((tuple) => serializeBucketName(name, tuple));
          expect(out.slice(0, count)).toEqual(expected);
        }
      }),
      { numRuns: 500 },
    );
  });
});
