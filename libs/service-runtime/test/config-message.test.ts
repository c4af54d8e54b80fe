// The start-up message for invalid configuration: each variable, its problem, what was got.
import { z } from 'zod';
import { configErrorMessage, configIssueLine } from '../src';

const SCHEMA = z.object({
  KAFKA_BROKERS: z.string().min(1),
  SYNCLINE_HTTP_PORT: z.coerce.number().int().max(65535),
  SYNCLINE_NAME: z.string().regex(/^[a-z]+$/, 'lower-case letters only'),
});

function messageFor(env: Record<string, string | undefined>): string {
  const parsed = SCHEMA.safeParse(env);
  if (parsed.success) throw new Error('expected the configuration to be invalid');
  return configErrorMessage('gateway', parsed.error, env, 'docs/gateway.md');
}

describe('configErrorMessage', () => {
  it('names every invalid variable with what was got, then the docs page', () => {
    expect(messageFor({ SYNCLINE_HTTP_PORT: '70000', SYNCLINE_NAME: 'Bad Name' })).toBe(
      [
        'invalid gateway configuration:',
        '  KAFKA_BROKERS: Required (not set)',
        '  SYNCLINE_HTTP_PORT: Number must be less than or equal to 65535 (got "70000")',
        '  SYNCLINE_NAME: lower-case letters only (got "Bad Name")',
        'See docs/gateway.md.',
      ].join('\n'),
    );
  });
});

describe('configIssueLine', () => {
  it.each([
    [{}, '  SCHEMA_REGISTRY_URL: required while SYNCLINE_BUCKET_TOPIC=on (not set)'],
    [{ SCHEMA_REGISTRY_URL: '' }, '  SCHEMA_REGISTRY_URL: required while SYNCLINE_BUCKET_TOPIC=on (got "")'],
  ])('shows the value of the variable in %j', (env, line) => {
    expect(configIssueLine('SCHEMA_REGISTRY_URL', 'required while SYNCLINE_BUCKET_TOPIC=on', env)).toBe(line);
  });
});
