// Waiting for topics to exist: the broker does not auto-create topics, and Debezium creates a
// table's topic only when it first writes to it, so readers wait for the topic instead of failing.
import type { Kafka } from 'kafkajs';

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
