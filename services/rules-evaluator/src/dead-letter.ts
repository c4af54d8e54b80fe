// The dead-letter topic `<prefix>.dead-letter`: the original key and value, with the reason, its
// code (docs/errors.md) and the source topic/partition/offset as headers. Created at start-up
// (auto creation is off).
import { deadLetterCode, type DeadLetterReason } from '@syncline/errors';
import { ensureTopics } from '@syncline/kafka-topics';
import type { Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { DeadLetterSink } from './ports';
import type { EvaluatorMetrics } from './metrics';

export const DEAD_LETTER_HEADERS = {
  reason: 'syncline.dlq.reason',
  code: 'syncline.dlq.code',
  detail: 'syncline.dlq.detail',
  topic: 'syncline.dlq.topic',
  partition: 'syncline.dlq.partition',
  offset: 'syncline.dlq.offset',
} as const;

export class KafkaDeadLetters implements DeadLetterSink {
  private constructor(
    private readonly producer: Producer,
    readonly topic: string,
    private readonly metrics: EvaluatorMetrics,
    private readonly logger: Logger,
  ) {}

  static async open(
    kafka: Kafka,
    topic: string,
    metrics: EvaluatorMetrics,
    logger: Logger,
  ): Promise<KafkaDeadLetters> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, [{ topic, numPartitions: 1 }]);
    } finally {
      await admin.disconnect();
    }
    const producer = kafka.producer({
      allowAutoTopicCreation: false,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    return new KafkaDeadLetters(producer, topic, metrics, logger);
  }

  async send(
    reason: DeadLetterReason,
    detail: string,
    message: KafkaMessage,
    topic: string,
    partition: number,
  ): Promise<void> {
    this.logger.warn(
      { reason, detail: detail.slice(0, 500), topic, partition, offset: message.offset },
      'record sent to the dead-letter topic',
    );
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            [DEAD_LETTER_HEADERS.reason]: reason,
            [DEAD_LETTER_HEADERS.code]: deadLetterCode(reason),
            [DEAD_LETTER_HEADERS.detail]: detail.slice(0, 2000),
            [DEAD_LETTER_HEADERS.topic]: topic,
            [DEAD_LETTER_HEADERS.partition]: String(partition),
            [DEAD_LETTER_HEADERS.offset]: message.offset,
          },
        },
      ],
    });
    this.metrics.deadLetters.inc({ reason });
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}
