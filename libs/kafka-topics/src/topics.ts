// Topic creation that returns only once the topic is usable. The broker does not auto-create
// topics, so every service creates its own. kafkajs' `waitForLeaders` asks one broker for
// metadata right after the create and gives up on UNKNOWN_TOPIC_OR_PARTITION, which a KRaft
// broker answers until the new topic reaches its metadata cache; here that answer means "wait".
import { SynclineError } from '@syncline/errors';
import type { Admin, ITopicConfig, Kafka } from 'kafkajs';

export interface TopicSpec {
  readonly topic: string;
  readonly numPartitions: number;
  readonly configEntries?: ReadonlyArray<{ name: string; value: string }>;
}

export interface WaitOptions {
  /** How long to wait in total before failing with what is still missing (default 30 s). */
  readonly timeoutMs?: number;
  /** Pause between metadata requests (default 100 ms). */
  readonly pollMs?: number;
}

/** Broker answers that mean "not there yet" right after a create, and are worth asking again. */
const NOT_YET = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'NOT_CONTROLLER',
]);

/** The broker's error type when `err` (or what kafkajs' retrier gave up on) means "not yet". */
function notYetType(err: unknown): string | undefined {
  for (let e = err as { type?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 3; depth++) {
    if (typeof e.type === 'string' && NOT_YET.has(e.type)) return e.type;
    e = e.cause as typeof e;
  }
  return undefined;
}

export class TopicNotReadyError extends SynclineError {
  readonly code = 'SYNC_E502';
  constructor(
    readonly topics: readonly string[],
    timeoutMs: number,
    detail: string,
  ) {
    super(`topics not ready within ${timeoutMs} ms: ${topics.join(', ')} (${detail})`);
    this.name = 'TopicNotReadyError';
  }
}

/**
 * Creates whichever of `specs` do not exist yet (a topic created concurrently by someone else
 * counts as existing) and resolves once every partition of every topic has a leader that
 * answers as one, so a first produce or fetch does not meet NOT_LEADER_FOR_PARTITION. Existing
 * topics are left as they are: callers that care about their partitions or configs check them.
 */
export async function ensureTopics(
  admin: Admin,
  specs: readonly TopicSpec[],
  options: WaitOptions = {},
): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length > 0) {
    // Resolves false instead of failing when another creator won the race.
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((s): ITopicConfig => ({
        topic: s.topic,
        numPartitions: s.numPartitions,
        configEntries: s.configEntries ? [...s.configEntries] : [],
      })),
    });
  }
  await waitForLeaders(
    admin,
    specs.map((s) => s.topic),
    options,
  );
}

/** Resolves once every partition of every topic exists and its leader answers as one. */
export async function waitForLeaders(
  admin: Admin,
  topics: readonly string[],
  { timeoutMs = 30000, pollMs = 100 }: WaitOptions = {},
): Promise<void> {
  if (topics.length === 0) return;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let detail: string;
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [...topics] });
      const notReady = leaderless(topics, meta.topics);
      if (notReady.length === 0) {
        // Metadata can name a leader before that broker acts as one (it then answers
        // NOT_LEADER_FOR_PARTITION); a ListOffsets answered by every leader proves it does.
        for (const topic of topics) await admin.fetchTopicOffsets(topic);
        return;
      }
      detail = `no leader yet for ${notReady.join(', ')}`;
    } catch (err) {
      const type = notYetType(err);
      if (type === undefined) throw err;
      detail = `broker answered ${type}`;
    }
    if (Date.now() >= deadline) throw new TopicNotReadyError(topics, timeoutMs, detail);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

type TopicMetadata = Awaited<ReturnType<Admin['fetchTopicMetadata']>>['topics'][number];

function leaderless(topics: readonly string[], meta: readonly TopicMetadata[]): string[] {
  const byName = new Map(meta.map((t) => [t.name, t]));
  const out: string[] = [];
  for (const topic of topics) {
    const t = byName.get(topic);
    if (!t || t.partitions.length === 0) {
      out.push(topic);
      continue;
    }
    for (const p of t.partitions)
      if (p.partitionErrorCode !== 0 || p.leader < 0) out.push(`${topic}[${p.partitionId}]`);
  }
  return out;
}

/**
 * Waits until `topics` exist, for readers of topics someone else creates (Debezium creates a
 * table's topic only when it first writes to it).
 */
export async function waitForTopics(
  kafka: Kafka,
  topics: readonly string[],
  timeoutMs = 60000,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t));
      if (missing.length === 0) return;
      if (Date.now() > deadline)
        throw new Error(`topics never appeared within ${timeoutMs} ms: ${missing.join(', ')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await admin.disconnect();
  }
}
