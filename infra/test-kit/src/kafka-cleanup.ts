// Debezium's topics outlive the connector (and a million change events fill gigabytes of log), and
// an evaluator leaves consumer groups of its own: a capture (test) or a benchmark run deletes its
// topics and groups when it ends. The broker does not auto-create topics, so a consumer still
// polling a deleted topic cannot bring it back.
import type { Admin } from 'kafkajs';
import { testKafka } from './kafka';

/**
 * Deletes every topic and consumer group whose name contains the run's unique `name` (stop its
 * consumers first: a group with members is not deleted); failures are left for
 * `syncline stack down --purge`.
 */
export async function deleteKafkaStateOfRun(admin: Admin, name: string): Promise<void> {
  const topics = (await admin.listTopics()).filter((t) => t.includes(name));
  if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
  const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.includes(name));
  if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
}

/**
 * deleteKafkaStateOfRun through a client of its own, given up after `timeoutMs` (a broker a test
 * stopped and did not bring back must not hold the test's teardown); never throws.
 */
export async function deleteKafkaStateNamed(
  brokers: readonly string[],
  name: string,
  timeoutMs = 15_000,
): Promise<void> {
  const admin = testKafka(brokers, 'syncline-test-cleanup').admin();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  try {
    const work = (async () => {
      await admin.connect();
      await deleteKafkaStateOfRun(admin, name);
    })().catch(() => undefined);
    await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}
