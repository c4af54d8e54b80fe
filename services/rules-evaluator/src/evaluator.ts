// Wiring of one evaluator instance: Redis store, transaction reader, consumer group over the
// change topics the rules use (re-subscribing when Debezium creates new ones), the coordinator,
// dead letters, the bucket topic, and the HTTP endpoints. Run loop stoppable via stop().
import { Kafka, logLevel, type Admin, type Consumer, type EachBatchPayload } from 'kafkajs';
import type { Logger } from 'pino';
import { RedisBucketWriter, RedisCoordination } from '@syncline/bucket-store';
import {
  createRedisClient,
  readRedisDurabilityOfEveryMaster,
  redisReady,
  retry,
  sleep,
  startProbeServer,
  StoppableRun,
  type ProbeServer,
  type RedisConnection,
} from '@syncline/service-runtime';
import {
  LOGICAL_DECODING_MESSAGE,
  toSqliteRow,
  type ConnectField,
  type TypeMappingOptions,
} from '@syncline/cdc';
import type { JsonObject } from '@syncline/lossless-json';
import { writeCheckpointPrefix, type OpIdGeneration } from '@syncline/protocol';
import type { BucketTopicWriter } from '@syncline/bucket-topic';
import { topicNamesFor, type TopicNames } from '@syncline/kafka-topics';
import type { SyncRules } from '@syncline/sync-rules';
import { CHANGE_CONSUMER_FETCH, CHANGE_PARTITIONS_CONCURRENTLY } from './consumer-settings';
import { changeFormatFor, type ChangeFormat } from './change-decoder';
import { ChangeProcessor } from './change-processor';
import type { BucketOpSink } from './ports';
import { isFatal } from './processing-halt';
import { checkDurability, refuseWipedState, ResumeGuard, seekBackBehind } from './redis-guards';
import type { EvaluatorConfig } from './config';
import { Coordinator } from './coordinator';
import { KafkaDeadLetters } from './dead-letter';
import { createMetrics, type EvaluatorMetrics } from './metrics';
import type { RowEvaluator } from './op-planner';
import { lsnOf, TransactionReader } from './transaction-reader';
import { NotificationReader } from './notification-reader';
import { checkIdentity } from './identity';
import { memoryGaugeLoop } from './memory-gauge';
import { compactionLoop, publishedPositions } from './compaction-worker';
import { consumerRetry, watchConsumerCrashes } from './consumer-crash';
import { commitProcessed, giveBack } from './group-commit';
import { WakeUp } from './wake-up';

export function rowEvaluator(rules: SyncRules): RowEvaluator {
  const mapping: TypeMappingOptions = { timestampsIso8601: rules.config.compatibility.timestampsIso8601 };
  return {
    evaluate(table: string, raw: JsonObject, columns: readonly ConnectField[]) {
      const row = toSqliteRow(columns, raw, mapping);
      return { rows: rules.evaluateRow(table, row), lookups: rules.evaluateParameterRow(table, row) };
    },
  };
}

/** Change topics (of `names`' prefix) whose table the rules use, sorted. */
export function changeTopicsFor(topics: readonly string[], names: TopicNames, rules: SyncRules): string[] {
  return topics
    .filter((t) => {
      const table = names.tableOf(t);
      return table !== null && rules.usesTable(table);
    })
    .sort();
}

export class Evaluator {
  readonly metrics: EvaluatorMetrics = createMetrics();
  private readonly lifecycle = new StoppableRun(
    () => this.runBody(),
    () => this.close(),
  );
  private redis: RedisConnection | null = null;
  private store: RedisCoordination | null = null;
  private consumer: Consumer | null = null;
  private subscribed: string[] = [];
  private transactions: TransactionReader | null = null;
  private notifications: NotificationReader | null = null;
  private coordinator: Coordinator | null = null;
  private deadLetters: KafkaDeadLetters | null = null;
  private writer: BucketTopicWriter | null = null;
  private http: ProbeServer | null = null;
  private ready = false;
  private fatal: Error | null = null;
  private loops: Promise<void>[] = [];
  private readonly resume = new ResumeGuard((partition) => this.store!.partitionProgress(partition));
  private readonly kafka: Kafka;
  private readonly topics: TopicNames;
  private readonly changeFormat: ChangeFormat;

  constructor(
    private readonly config: EvaluatorConfig,
    private readonly rules: SyncRules,
    private readonly logger: Logger,
  ) {
    this.topics = topicNamesFor(config.topicPrefix);
    this.changeFormat = changeFormatFor(config);
    this.kafka = new Kafka({
      clientId: `syncline-evaluator-${config.instanceId}`,
      brokers: config.brokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
  }

  get port(): number | null {
    return this.http?.port ?? null;
  }

  /** Resolves when the evaluator stops; rejects with a fatal error (non-retriable). */
  run(): Promise<void> {
    return this.lifecycle.run();
  }

  private async runBody(): Promise<void> {
    const { config, logger } = this;
    const { signal } = this.lifecycle;
    this.http = await startProbeServer(config.httpPort, {
      registry: this.metrics.registry,
      healthy: () => this.fatal === null,
      ready: () => this.ready,
    });
    logger.info({ port: this.http.port, instanceId: config.instanceId }, 'evaluator http listening');
    const redis = createRedisClient(config.redisUrl, logger, { fenced: true });
    this.redis = redis;
    await redisReady(redis, signal);
    for (const { node, durability } of await readRedisDurabilityOfEveryMaster(redis))
      checkDurability(durability, logger.child({ redisNode: node }));
    const store = new RedisCoordination(redis, config.keyPrefix);
    this.store = store;
    const generation = await this.checkIdentity(store);
    const sink = await this.openOutputs();
    const transactions = await this.startTransactionReader(store);
    const admin = this.kafka.admin();
    await admin.connect();
    const counted = new WakeUp();
    this.startCoordinator(store, transactions, generation, admin, counted);
    const processor = new ChangeProcessor({
      counted,
      store: new RedisBucketWriter(redis, config.keyPrefix),
      coordination: store,
      transactions,
      generation,
      evaluator: rowEvaluator(this.rules),
      sink,
      deadLetters: this.deadLetters!,
      metrics: this.metrics,
      logger,
      latestCheckpoint: () => store.getCheckpoint(),
      snapshotWindows: config.signalTable !== null,
      fullSnapshots: this.notifications,
      writeCheckpointPrefix: writeCheckpointPrefix(config.deployment),
      decoder: this.changeFormat.decoder,
    });
    const isLeader = () => this.coordinator?.isLeader === true;
    const leaderOnly = { redis, prefix: config.keyPrefix, isLeader, metrics: this.metrics, logger, signal };
    this.loops.push(
      this.pruneLoop(store, transactions),
      memoryGaugeLoop({ ...leaderOnly, intervalMs: config.memoryReportMs }),
      compactionLoop(config, { ...leaderOnly, generation, ...publishedPositions(store) }),
    );
    await this.subscriptionLoop(admin, processor);
    await admin.disconnect().catch(() => undefined);
    if (this.fatal) throw this.fatal;
  }

  /** The dead-letter producer and, when configured, the bucket topic (the sink returned). */
  private async openOutputs(): Promise<BucketOpSink | null> {
    const { config, logger } = this;
    const { signal, lateCloses } = this.lifecycle;
    this.deadLetters = await retry('kafka', logger, signal, lateCloses, () =>
      KafkaDeadLetters.open(this.kafka, this.topics.deadLetter, this.metrics, logger),
    );
    if (!config.bucketTopic || config.schemaRegistryUrl === null) return null;
    const registryUrl = config.schemaRegistryUrl;
    // Loaded here, not at the top: the registry client costs about 1.4 s of CPU to load, which an
    // evaluator without the bucket topic never needs (docs/deploy.md, start-up). `require`, not
    // `import()`, which would go through Node's ESM loader (not hooked by tsx/cjs nor jest).
    const { BucketTopicWriter } =
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy loading, as said above
      require('@syncline/bucket-topic') as typeof import('@syncline/bucket-topic');
    this.writer = await retry('bucket topic', logger, signal, lateCloses, () =>
      BucketTopicWriter.open(
        {
          brokers: config.brokers,
          schemaRegistryUrl: registryUrl,
          topic: this.topics.buckets(`${config.deployment}.${config.rulesVersion}`),
          partitions: config.bucketTopicPartitions,
          clientId: `syncline-evaluator-${config.instanceId}`,
        },
        this.kafka,
      ),
    );
    return this.writer;
  }

  /** This instance's reader of the whole transaction topic, from the oldest offset still needed. */
  private async startTransactionReader(store: RedisCoordination): Promise<TransactionReader> {
    const { config, logger } = this;
    const transactions = new TransactionReader({
      kafka: this.kafka,
      topic: this.topics.transaction,
      groupId: `${config.groupId}.tx.${config.instanceId}`,
      logger,
      decoder: this.changeFormat.decoder,
      onMalformed: async (record, raw) => {
        await this.deadLetters!.send(
          record.reason,
          record.detail,
          { ...raw, offset: String(record.position.offset) } as never,
          record.position.topic,
          record.position.partition,
        );
      },
      onFatal: (error) => this.fail(error),
    });
    this.transactions = transactions;
    transactions.tracker.cover(lsnOf(await store.getCheckpoint()));
    const start = await this.transactionStart(store);
    logger.info({ start: String(start) }, 'reading the transaction topic');
    this.loops.push(
      transactions.start(start, this.lifecycle.signal).catch((error: unknown) => this.fail(error)),
    );
    return transactions;
  }

  private startCoordinator(
    store: RedisCoordination,
    transactions: TransactionReader,
    generation: OpIdGeneration,
    admin: Admin,
    localCounts: WakeUp,
  ): void {
    const { config } = this;
    const notifications = this.startNotificationReader(admin);
    const wholeSnapshots = config.signalTable !== null && config.incrementalSnapshots === 'whole';
    this.coordinator = new Coordinator({
      notifications: wholeSnapshots ? notifications : null,
      fullSnapshots: notifications,
      store,
      transactions,
      generation,
      instanceId: config.instanceId,
      leaseTtlMs: config.leaseTtlMs,
      consumed: (collection) => collection === LOGICAL_DECODING_MESSAGE || this.rules.usesTable(collection),
      changeTopics: async () => changeTopicsFor(await admin.listTopics(), this.topics, this.rules),
      admin,
      metrics: this.metrics,
      logger: this.logger,
      signalTable: config.signalTable,
      localCounts,
    });
    this.loops.push(this.coordinator.run(this.lifecycle.signal).catch((error: unknown) => this.fail(error)));
  }

  /** The connector's notifications: snapshots checkpointed whole (§3.1, §3.2). */
  private startNotificationReader(admin: Admin): NotificationReader {
    const { config } = this;
    const reader = new NotificationReader({
      kafka: this.kafka,
      admin,
      topic: config.notificationTopic,
      groupId: `${config.groupId}.notify.${config.instanceId}`,
      logger: this.logger,
      notificationValue: this.changeFormat.notificationValue,
      onFatal: (error) => this.fail(error),
    });
    this.notifications = reader;
    this.loops.push(reader.start(this.lifecycle.signal).catch((error: unknown) => this.fail(error)));
    return reader;
  }

  /** Refuses to run against state written with other rules; records identity on first start. */
  private checkIdentity(store: RedisCoordination): Promise<OpIdGeneration> {
    const { keyPrefix, rulesFile } = this.config;
    return checkIdentity(store, { rulesHash: this.rules.hash, keyPrefix, rulesFile }, () =>
      this.refuseWiped(() => store.hasMeta()),
    );
  }

  /** A Redis without state for a group with committed offsets was wiped: refuse (SYNC_E405). */
  private async refuseWiped(hasState: () => Promise<boolean>): Promise<void> {
    const { config, logger } = this;
    const { signal, lateCloses } = this.lifecycle;
    await retry('kafka', logger, signal, lateCloses, async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        await refuseWipedState(admin, config.groupId, config.keyPrefix, hasState);
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
      return { close: async () => undefined };
    });
  }

  /** Oldest transaction-topic offset an unprocessed or replayed event may still need. */
  private async transactionStart(store: RedisCoordination): Promise<bigint> {
    const cp = await store.getCheckpoint();
    let start = cp === null ? 0n : BigInt(cp.endOffset) + 1n;
    for (const low of (await store.readPositions('transactionLow')).values()) if (low < start) start = low;
    return start < 0n ? 0n : start;
  }

  private async pruneLoop(store: RedisCoordination, transactions: TransactionReader): Promise<void> {
    while (!this.lifecycle.signal.aborted) {
      await sleep(5000, this.lifecycle.signal);
      try {
        transactions.tracker.cover(lsnOf(await store.getCheckpoint()));
        transactions.tracker.prune(await this.transactionStart(store));
      } catch (error) {
        this.logger.warn({ err: error }, 'transaction prune failed');
      }
    }
  }

  /** Runs the group consumer; restarts it when the set of change topics changes. */
  private async subscriptionLoop(
    admin: ReturnType<Kafka['admin']>,
    processor: ChangeProcessor,
  ): Promise<void> {
    const { config, logger } = this;
    let waited = 0;
    while (!this.lifecycle.signal.aborted && this.fatal === null) {
      let topics: string[];
      try {
        const all = await admin.listTopics();
        topics = changeTopicsFor(all, this.topics, this.rules);
        if (all.includes(this.topics.message)) topics.push(this.topics.message);
      } catch (error) {
        logger.warn({ err: error }, 'cannot list topics; retrying');
        await sleep(config.topicRefreshMs, this.lifecycle.signal);
        continue;
      }
      if (topics.join(',') !== this.subscribed.join(',')) {
        if (this.consumer) {
          logger.info({ topics }, 'change topics changed: re-subscribing');
          await this.consumer.disconnect();
          this.consumer = null;
        }
        this.subscribed = topics;
        if (topics.length > 0) {
          this.consumer = await this.startConsumer(topics, processor, admin);
          this.ready = true;
        } else if (waited++ % 12 === 0)
          logger.info(
            { prefix: config.topicPrefix },
            'waiting for change topics of the tables the rules use',
          );
      }
      await sleep(config.topicRefreshMs, this.lifecycle.signal);
    }
    await this.consumer?.disconnect();
    this.consumer = null;
  }

  private async startConsumer(topics: string[], processor: ChangeProcessor, admin: Admin): Promise<Consumer> {
    const { config } = this;
    const consumer = this.kafka.consumer({
      groupId: config.groupId,
      sessionTimeout: config.sessionTimeoutMs,
      heartbeatInterval: Math.min(3000, Math.floor(config.sessionTimeoutMs / 5)),
      allowAutoTopicCreation: false,
      retry: consumerRetry(this.lifecycle.signal),
      ...CHANGE_CONSUMER_FETCH,
    });
    // Row states cached for owned partitions are only valid until the next rebalance.
    const rebalanced = (): void => {
      processor.resetPartitionState();
      this.resume.clear();
    };
    consumer.on(consumer.events.REBALANCING, rebalanced);
    watchConsumerCrashes(
      consumer,
      'change consumer',
      this.logger,
      (error) => this.fail(error),
      this.lifecycle.signal,
    );
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      rebalanced();
      const progressOf = (p: string) => this.store!.partitionProgress(p);
      void seekBackBehind(consumer, admin, config.groupId, payload.memberAssignment, progressOf, this.logger);
    });
    processor.resetPartitionState();
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: CHANGE_PARTITIONS_CONCURRENTLY,
      eachBatch: (payload) => this.eachBatch(consumer, processor, payload),
    });
    return consumer;
  }

  private async eachBatch(
    consumer: Consumer,
    processor: ChangeProcessor,
    payload: EachBatchPayload,
  ): Promise<void> {
    const { batch, heartbeat, resolveOffset } = payload;
    if (batch.messages.length === 0 || !payload.isRunning() || payload.isStale()) return;
    const store = this.store!;
    const field = `${batch.topic}/${batch.partition}`;
    const started = Date.now();
    if (await this.resume.seekBack(consumer, batch, this.logger)) return;
    try {
      const result = await processor.processBatch(
        batch.topic,
        batch.partition,
        batch.messages,
        heartbeat,
        this.lifecycle.signal,
        async (low) => {
          // Before any mark: a replay of this batch needs its transactions in every reader's window.
          if (low !== null) await store.keepTransactionLow(field, low);
        },
      );
      if (result.resumeAt !== null) {
        // A truncate waits for other partitions' events: give the batch back from the truncate on,
        // so kafkajs fetches them (the transaction low stays as recorded: still a lower bound).
        await giveBack(consumer, payload, result.resumeAt, this.logger);
        this.metrics.events.inc(result.events);
        return;
      }
      const last = batch.messages[batch.messages.length - 1]!;
      const next = BigInt(last.offset) + 1n;
      resolveOffset(last.offset);
      const at = { topic: batch.topic, partition: batch.partition, offset: next.toString() };
      await commitProcessed(consumer, [at], this.logger);
      this.metrics.events.inc(batch.messages.length);
      const lag = BigInt(batch.highWatermark) - next;
      this.metrics.consumerLag.set(
        { topic: batch.topic, partition: String(batch.partition) },
        Number(lag < 0n ? 0n : lag),
      );
      await this.recordTransactionLow(field, result.highTransactionOffset, lag <= 0n);
      this.logger.debug(
        {
          topic: batch.topic,
          partition: batch.partition,
          events: batch.messages.length,
          ops: result.ops,
          ms: Date.now() - started,
        },
        'batch processed',
      );
    } catch (error) {
      if (isFatal(error)) this.fail(error);
      throw error;
    }
  }

  /**
   * After a commit, events at or after the committed offset belong to transactions at or after
   * the last processed one (or, when caught up, to transactions not yet covered by a checkpoint).
   */
  private async recordTransactionLow(
    field: string,
    lastTransaction: bigint | null,
    caughtUp: boolean,
  ): Promise<void> {
    const store = this.store!;
    if (caughtUp) await store.clearTransactionLow(field);
    else if (lastTransaction !== null) await store.setTransactionLow(field, lastTransaction);
  }

  private fail(error: unknown): void {
    if (this.fatal) return;
    this.fatal = error instanceof Error ? error : new Error(String(error));
    this.logger.fatal({ err: this.fatal }, 'evaluator halted');
    this.lifecycle.abort();
  }

  /** Graceful stop: finish the batch, commit, leave the group, release the lease. Idempotent. */
  stop(): Promise<void> {
    this.ready = false;
    return this.lifecycle.stop();
  }

  /** After run's body and the late closes settled (StoppableRun), every resource is known. */
  private async close(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    await Promise.allSettled(this.loops);
    await this.transactions?.stop().catch(() => undefined);
    await this.notifications?.stop().catch(() => undefined);
    await this.deadLetters?.close().catch(() => undefined);
    await this.writer?.close().catch(() => undefined);
    await this.http?.close().catch(() => undefined);
    this.redis?.disconnect();
  }
}
