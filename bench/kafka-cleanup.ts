// Debezium's topics outlive the connector (and a million change events fill gigabytes of log),
// and an evaluator leaves consumer groups of its own: a benchmark that registered a connector or
// ran an evaluator deletes its run's topics and groups at the end.
import type { Admin } from 'kafkajs';

/**
 * Deletes every topic and consumer group whose name contains the run's unique `name` (stop its
 * consumers first); failures are left for `syncline stack down --purge`.
 */
export async function deleteKafkaStateOfRun(admin: Admin, name: string): Promise<void> {
  const topics = (await admin.listTopics()).filter((t) => t.includes(name));
  if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
  const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.includes(name));
  if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
}
