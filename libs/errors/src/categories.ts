// The categories of user-visible errors. A category decides the process exit code and the first
// digit of its codes (SYNC_E1xx is configuration), so a code says where to look at a glance.

export type ErrorCategory =
  | 'lifecycle'
  | 'config'
  | 'sync-rules'
  | 'dead-letter'
  | 'evaluator'
  | 'dependency'
  | 'stack'
  | 'cli'
  | 'gateway'
  | 'bucket-topic';

export interface CategorySpec {
  /** Heading in docs/errors.md. */
  readonly title: string;
  /** The hundreds digit of the category's codes: SYNC_E<digit>xx. */
  readonly digit: number;
  /** Exit code of a process that ends on an error of this category. */
  readonly exitCode: 0 | 1 | 2;
  /** Where the user sees these errors, one line for docs/errors.md. */
  readonly seenAs: string;
}

export const CATEGORIES: Readonly<Record<ErrorCategory, CategorySpec>> = {
  lifecycle: {
    title: 'Stopping',
    digit: 0,
    exitCode: 0,
    seenAs: 'Not a failure: the reason a run ended early; the process exits 0.',
  },
  config: {
    title: 'Configuration',
    digit: 1,
    exitCode: 2,
    seenAs:
      'On stderr at start-up (`syncline evaluator: [SYNC_E1xx] …`): the configuration is invalid or does not match the stored state.',
  },
  'sync-rules': {
    title: 'Sync rules',
    digit: 2,
    exitCode: 2,
    seenAs: 'On stderr at start-up: the sync-rules file cannot be read or does not compile.',
  },
  'dead-letter': {
    title: 'Dead-letter reasons',
    digit: 3,
    exitCode: 1,
    seenAs:
      'On records of the `<prefix>.dead-letter` topic: header `syncline.dlq.reason` (the name below) and `syncline.dlq.code`. The evaluator keeps going.',
  },
  evaluator: {
    title: 'Evaluator halts',
    digit: 4,
    exitCode: 1,
    seenAs: 'On stderr and in the log (`evaluator halted`); the evaluator stops.',
  },
  dependency: {
    title: 'Dependencies unavailable',
    digit: 5,
    exitCode: 1,
    seenAs: 'In the log (field `code`) while the service retries with backoff.',
  },
  stack: {
    title: 'Local stack',
    digit: 6,
    exitCode: 1,
    seenAs: '`syncline stack …` prints `error: [SYNC_E6xx] …` and a `what to do:` line.',
  },
  cli: {
    title: 'Command line',
    digit: 7,
    exitCode: 2,
    seenAs: '`syncline <command>: [SYNC_E7xx] …` on stderr.',
  },
  gateway: {
    title: 'Gateway (HTTP)',
    digit: 8,
    exitCode: 1,
    seenAs:
      'Reserved for the gateway (`services/gateway`, not built yet): its responses carry the HTTP status below and the code in the error body.',
  },
  'bucket-topic': {
    title: 'Bucket topics',
    digit: 9,
    exitCode: 1,
    seenAs:
      'Thrown by `@syncline/bucket-topic` to the evaluator (writing) and to services that read bucket topics (docs/bucket-topics.md).',
  },
};
