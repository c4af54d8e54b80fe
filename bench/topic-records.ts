// How many records a topic holds: the sum of its partitions' end offsets. A benchmark polls it to
// see when Debezium has written what was committed.
import type { Admin } from 'kafkajs';

/** Sum of the end offsets of `topic`'s partitions; 0 while the topic does not exist yet. */
export async function recordsInTopic(admin: Admin, topic: string): Promise<number> {
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  } catch {
    return 0;
  }
}
