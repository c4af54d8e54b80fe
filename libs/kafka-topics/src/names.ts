// The names of Syncline's Kafka topics under one Debezium topic prefix, spelled in one place:
// Debezium's own (`<prefix>.transaction`, `<prefix>.message`, change topics
// `<prefix>.<schema>.<table>`) and the evaluator's (`<prefix>.dead-letter`,
// `<prefix>.buckets.<deployment>.<rules version>`).

import { SynclineError } from '@syncline/errors';

/** Names under the prefix that are never change topics. */
const RESERVED = new Set(['transaction', 'message', 'dead-letter']);

const LEGAL_TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

/** A topic name Kafka would refuse. */
export class TopicNameError extends SynclineError {
  override readonly name = 'TopicNameError';
  readonly code = 'SYNC_E105';
}

export interface TopicNames {
  readonly prefix: string;
  /** BEGIN/END records, one partition (Debezium's provide.transaction.metadata). */
  readonly transaction: string;
  /** Logical decoding messages (write checkpoints). */
  readonly message: string;
  /** Records the evaluator could not process, with the reason in headers. */
  readonly deadLetter: string;
  /** The change topic of `<schema>.<table>`. */
  change(schemaTable: string): string;
  /** The compacted bucket topic of one deployment and rules version (`<deployment>.<version>`). */
  buckets(deploymentVersion: string): string;
  /** `<schema>.<table>` when `topic` is a change topic under this prefix, else null. */
  tableOf(topic: string): string | null;
}

export function topicNamesFor(prefix: string): TopicNames {
  return {
    prefix,
    transaction: `${prefix}.transaction`,
    message: `${prefix}.message`,
    deadLetter: `${prefix}.dead-letter`,
    change: (schemaTable) => `${prefix}.${schemaTable}`,
    buckets: (deploymentVersion) => legalTopic(`${prefix}.buckets.${deploymentVersion}`),
    tableOf(topic) {
      if (!topic.startsWith(`${prefix}.`)) return null;
      const rest = topic.slice(prefix.length + 1);
      const parts = rest.split('.');
      return parts.length === 2 && !RESERVED.has(parts[0]!) ? rest : null;
    },
  };
}

function legalTopic(name: string): string {
  if (!LEGAL_TOPIC.test(name))
    throw new TopicNameError(
      `topic name ${JSON.stringify(name)} is not a legal Kafka topic name (letters, digits, . _ -; at most 249)`,
    );
  return name;
}
