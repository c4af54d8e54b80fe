// kafkajs stops a consumer for good when an error it does not count as retriable escapes its
// loop (a TypeError, RangeError, or a protocol error marked non-retriable): it disconnects the
// consumer, emits CRASH with `restart: false`, and the process lives on with nothing consuming.
// For the evaluator that is a checkpoint standing still forever, so every crash is logged and a
// final one halts the evaluator (exit 1, SYNC_E411): its supervisor restarts it from Redis.
import type { Consumer, RetryOptions } from 'kafkajs';
import type { Logger } from 'pino';
import { SynclineError } from '@syncline/errors';

/** A Kafka consumer of the evaluator stopped and kafkajs will not restart it (fatal; SYNC_E411). */
export class ConsumerStoppedError extends SynclineError {
  override readonly name = 'ConsumerStoppedError';
  readonly code = 'SYNC_E411';
}

/** What a kafkajs CRASH event carries (its payload). */
export interface ConsumerCrash {
  readonly error: Error;
  readonly restart: boolean;
}

/**
 * The error that halts the evaluator for a crash, or null when kafkajs restarts the consumer
 * itself. Pure: the wiring below feeds it kafkajs' events.
 */
export function haltFor(consumer: string, crash: ConsumerCrash): ConsumerStoppedError | null {
  if (crash.restart) return null;
  return new ConsumerStoppedError(
    `the ${consumer} stopped for good after ${crash.error.name}: ${crash.error.message} ` +
      '(kafkajs does not restart a consumer after an error it does not count as retriable)',
    { cause: crash.error },
  );
}

/**
 * A consumer's kafkajs retry settings (kafkajs' default of 5 retries): a consumer that crashes
 * with a retriable error is restarted, unless the evaluator is stopping. kafkajs restarts a
 * crashed consumer from a timer even after it was disconnected, so a stop while the broker is
 * unreachable left the process alive for ever, restarting consumers against a broker that was gone.
 */
export function consumerRetry(stopping: AbortSignal): RetryOptions {
  return { retries: 5, restartOnFailure: async () => !stopping.aborted };
}

/**
 * Logs each CRASH of `consumer` and calls `halt` when kafkajs gives it up, except once the
 * evaluator is stopping (`stopping` aborted): a consumer that ends then is part of the stop.
 */
export function watchConsumerCrashes(
  consumer: Consumer,
  name: string,
  logger: Logger,
  halt: (error: ConsumerStoppedError) => void,
  stopping: AbortSignal,
): void {
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    const crash: ConsumerCrash = { error: payload.error, restart: payload.restart };
    if (stopping.aborted) {
      logger.warn(
        { consumer: name, err: crash.error },
        'Kafka consumer crashed while stopping; not restarted',
      );
      return;
    }
    logger.error(
      { consumer: name, err: crash.error, restart: crash.restart },
      crash.restart ? 'Kafka consumer crashed; kafkajs restarts it' : 'Kafka consumer stopped',
    );
    const error = haltFor(name, crash);
    if (error !== null) halt(error);
  });
}
