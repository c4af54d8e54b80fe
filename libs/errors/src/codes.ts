// The one table of every error a Syncline user can see. A code never changes meaning and is never
// reused; docs/errors.md is generated from this table (npm run docs:errors) and a test fails when
// the two differ. Add a code here first, then give the error class that carries it `code`.
import type { ErrorSpec } from './error-spec';
import { GATEWAY_ERRORS } from './gateway-codes';

const TABLE = {
  SYNC_E001: {
    category: 'lifecycle',
    title: 'stopped',
    retriable: false,
    meaning: 'The service was stopped (SIGTERM, SIGINT or `stop()`) before start-up finished.',
    fix: 'Nothing to fix; start it again when wanted.',
  },

  SYNC_E101: {
    category: 'config',
    title: 'invalid-config',
    retriable: false,
    meaning: 'An environment variable is missing or invalid; the message names each one and what it got.',
    fix: 'Set the named variables as listed in the configuration reference (docs/evaluator.md).',
  },
  SYNC_E102: {
    category: 'config',
    title: 'rules-mismatch',
    retriable: false,
    meaning: 'The Redis prefix holds state computed with other sync rules than the ones this evaluator runs.',
    fix: 'Deploy the new rules under a new `SYNCLINE_RULES_VERSION`, or reset: `syncline evaluator --reset --rules FILE`.',
  },
  SYNC_E103: {
    category: 'config',
    title: 'layout-mismatch',
    retriable: false,
    meaning: 'The Redis prefix holds state in another storage layout than the one this evaluator writes.',
    fix: 'Stop every evaluator of the deployment, then reprocess: `syncline evaluator --reset --rules FILE`.',
  },
  SYNC_E104: {
    category: 'config',
    title: 'bucket-topic-mismatch',
    retriable: false,
    meaning:
      'The bucket topic exists with another partition count (buckets would move) or without compaction (it would grow forever).',
    fix: 'Deploy under a new `SYNCLINE_RULES_VERSION` (a new topic), or delete the topic so the evaluator creates it again.',
  },
  SYNC_E105: {
    category: 'config',
    title: 'invalid-name',
    retriable: false,
    meaning:
      'A Redis key prefix or Kafka topic name made from the configuration is not legal there; the message names it.',
    fix: 'Use letters, digits, `.`, `_` and `-` in `SYNCLINE_TOPIC_PREFIX`, `SYNCLINE_DEPLOYMENT` and `SYNCLINE_RULES_VERSION`.',
  },

  SYNC_E201: {
    category: 'sync-rules',
    title: 'rules-file-unreadable',
    retriable: false,
    meaning: 'The sync-rules file cannot be read (missing, a folder, no permission).',
    fix: 'Point `--rules` (or `SYNCLINE_RULES_FILE`) at a readable sync-rules YAML file.',
  },
  SYNC_E202: {
    category: 'sync-rules',
    title: 'rules-invalid',
    retriable: false,
    meaning: 'The sync rules do not compile; each problem is listed as `file:line:column: message`.',
    fix: 'Fix each listed place; `syncline rules validate FILE` checks a file without starting anything.',
  },

  SYNC_E301: {
    category: 'dead-letter',
    title: 'invalid-utf8',
    retriable: false,
    meaning: "The record's key or value is not valid UTF-8.",
    fix: 'Find the producer from the `syncline.dlq.topic/partition/offset` headers: only Debezium may write change topics.',
  },
  SYNC_E302: {
    category: 'dead-letter',
    title: 'invalid-json',
    retriable: false,
    meaning: 'The key or value is not valid JSON.',
    fix: 'Use the JSON converter with `value.converter.schemas.enable=true` (docs/evaluator.md, connector requirements).',
  },
  SYNC_E303: {
    category: 'dead-letter',
    title: 'missing-value',
    retriable: false,
    meaning: 'A field the record must have is absent or null (for example a null transaction record).',
    fix: 'Check the connector against the requirements in docs/evaluator.md; Debezium always sets it.',
  },
  SYNC_E304: {
    category: 'dead-letter',
    title: 'wrong-type',
    retriable: false,
    meaning: 'A field has the wrong type (a string where an object belongs, an unknown marker).',
    fix: 'Check the converter settings in docs/evaluator.md; compare the record with a Debezium record of the same table.',
  },
  SYNC_E305: {
    category: 'dead-letter',
    title: 'unknown-op',
    retriable: false,
    meaning: "A change record's `payload.op` is not one the decoder knows (`c`, `u`, `d`, `r`, `t`, `m`).",
    fix: 'Run the Debezium version Syncline ships with (docs/local-stack.md); a new op code needs a Syncline update.',
  },
  SYNC_E306: {
    category: 'dead-letter',
    title: 'unknown-status',
    retriable: false,
    meaning: "A transaction record's `status` is neither `BEGIN` nor `END`.",
    fix: 'Run the Debezium version Syncline ships with, with `provide.transaction.metadata=true`.',
  },
  SYNC_E307: {
    category: 'dead-letter',
    title: 'invalid-transaction-id',
    retriable: false,
    meaning: "A transaction id is not the Postgres connector's `<xid>:<lsn>`.",
    fix: 'Give each Debezium Postgres connector its own topic prefix; no other connector may write the transaction topic.',
  },
  SYNC_E308: {
    category: 'dead-letter',
    title: 'invalid-sequence',
    retriable: false,
    meaning: "`source.sequence` is not the Postgres connector's `[lastCommitLsn, lsn]` pair.",
    fix: 'Use the Debezium Postgres connector; `source.sequence` of other connectors has another shape.',
  },
  SYNC_E309: {
    category: 'dead-letter',
    title: 'invalid-schema',
    retriable: false,
    meaning: "The record's Connect schema is malformed (an unknown type, a non-boolean `optional`).",
    fix: 'Keep the JSON converter with schemas on, and no transforms (SMTs) that rewrite the schema.',
  },
  SYNC_E310: {
    category: 'dead-letter',
    title: 'invalid-header',
    retriable: false,
    meaning: 'A Kafka header the decoder reads is not UTF-8 JSON of the expected shape.',
    fix: 'Do not add or rewrite headers on change topics (transforms, other producers).',
  },
  SYNC_E311: {
    category: 'dead-letter',
    title: 'inconsistent-record',
    retriable: false,
    meaning: 'Fields contradict each other (key and value both null, `before`/`after` wrong for the op).',
    fix: 'Find the producer from the `syncline.dlq.*` headers; Debezium writes consistent records.',
  },
  SYNC_E312: {
    category: 'dead-letter',
    title: 'internal-error',
    retriable: false,
    meaning: 'The decoder failed on the record in a way it does not classify: a Syncline bug.',
    fix: 'Report it with the dead-letter record (key, value and headers) attached.',
  },
  SYNC_E313: {
    category: 'dead-letter',
    title: 'evaluation-failed',
    retriable: false,
    meaning:
      'Evaluating the sync rules on the row failed (`syncline.dlq.detail` says why); the row is skipped.',
    fix: 'Fix the value or the rules expression named in the detail, then write the row again (an UPDATE re-sends it).',
  },
  SYNC_E314: {
    category: 'dead-letter',
    title: 'invalid-write-checkpoint',
    retriable: false,
    meaning:
      'A write-checkpoint logical message (`syncline-wc:<deployment>`) whose content is not `<user_id>/<client_id>:<n>`.',
    fix: 'Emit write checkpoints as docs/evaluator.md ("Write checkpoints") shows.',
  },

  SYNC_E315: {
    category: 'dead-letter',
    title: 'blocking-snapshot',
    retriable: false,
    meaning:
      'A row of a Debezium blocking snapshot (an `execute-snapshot` signal of type `blocking`). Its rows are read after the position the stream resumes from, so they hold changes of transactions streamed after them: no checkpoint could show them as a state Postgres had. Each row is dead-lettered and skipped; nothing is written for it.',
    fix: 'Read the table with an incremental snapshot instead (`"type": "incremental"`, docs/evaluator.md, "Adding a table later"): its rows are placed and checkpointed consistently.',
  },
  SYNC_E316: {
    category: 'dead-letter',
    title: 'invalid-avro',
    retriable: false,
    meaning:
      "With `SYNCLINE_CHANGE_FORMAT=avro`: the key or value is not Apicurio's Avro wire form (no `apicurio.<key|value>.globalId` header and no magic byte 0 followed by an 8-byte global id), its writer schema is not in the registry or is not Avro, or the bytes do not decode with that schema.",
    fix: "Check that the connector's key and value converters are `io.apicurio.registry.utils.converter.AvroConverter` pointed at the evaluator's registry (docs/evaluator.md, section Avro or JSON), or set `SYNCLINE_CHANGE_FORMAT=json` for a JSON connector.",
  },

  SYNC_E401: {
    category: 'evaluator',
    title: 'processing-halted',
    retriable: false,
    meaning:
      "An op id cannot be formed within the op-id layout's limits; the message names the limit (docs/consistency.md §1.3).",
    fix: 'An operator must start a new op-id generation (docs/consistency.md §1.4); the evaluator never reuses ids.',
  },
  SYNC_E402: {
    category: 'evaluator',
    title: 'snapshot-numbering',
    retriable: false,
    meaning:
      'A snapshot record lies past the snapshot numbering limits: 256 change topics, 128 partitions, 2^25 records per partition.',
    fix: "Give a larger table's change topic more partitions (at most 128); docs/consistency.md §3.",
  },
  SYNC_E403: {
    category: 'evaluator',
    title: 'reset-refused',
    retriable: false,
    meaning: '`syncline evaluator --reset` refused: the consumer group still has members.',
    fix: 'Stop every evaluator of this deployment and rules version, then reset again.',
  },

  SYNC_E404: {
    category: 'evaluator',
    title: 'transaction-rewind',
    retriable: false,
    meaning:
      'The transaction topic went back: an END whose commit LSN is at or below one already read matches no known transaction (a restored database, or another database behind the same topic prefix).',
    fix: 'Reprocess into a new rules version or reset (`syncline evaluator --reset`); docs/consistency.md §2.1 explains the check.',
  },

  SYNC_E405: {
    category: 'evaluator',
    title: 'redis-state-lost',
    retriable: false,
    meaning:
      'Redis holds less of this deployment than was written to it (restored from an older state, failed over with data loss, or wiped), or holds nothing while the consumer group has committed offsets.',
    fix: 'Restored or partly lost: restart the evaluators, they resume from what Redis holds. Wiped: stop them and rebuild (`syncline evaluator --reset`); docs/evaluator.md ("Redis").',
  },
  SYNC_E406: {
    category: 'evaluator',
    title: 'redis-evicts',
    retriable: false,
    meaning:
      'Redis is configured with an evicting `maxmemory-policy`: it could delete bucket ops, row states or counts under memory pressure.',
    fix: 'Set `maxmemory-policy noeviction` (and give Redis enough memory); docs/evaluator.md ("Redis").',
  },

  SYNC_E407: {
    category: 'evaluator',
    title: 'transaction-outside-window',
    retriable: false,
    meaning:
      "A change event belongs to a transaction whose END lies before the transaction reader's start offset: it would wait for ever.",
    fix: 'After rewinding the consumer group past committed offsets, lower `P:txlow` of the rewound partitions (docs/consistency.md §5.3), then restart.',
  },

  SYNC_E408: {
    category: 'evaluator',
    title: 'snapshot-window-unknown',
    retriable: false,
    meaning:
      "A row of a Debezium incremental snapshot arrived but the evaluator cannot place it: `SYNCLINE_SIGNAL_TABLE` is not set (checkpoints would not wait for the snapshot's windows), or the row carries no `source.sequence`.",
    fix: "Set `SYNCLINE_SIGNAL_TABLE` to the connector's `signal.data.collection` on every evaluator, then restart (docs/consistency.md §3.1).",
  },

  SYNC_E409: {
    category: 'evaluator',
    title: 'snapshot-after-streaming',
    retriable: false,
    meaning:
      'A full (not incremental) snapshot row was taken after transactions a published checkpoint covers: the connector snapshotted again (a lost replication slot, a new connector, `snapshot.mode=always`), and the evaluator cannot hold the checkpoint for it because it reads no connector notifications (the notification topic is absent or has several partitions). Placed in the initial range, its op ids would lie below the checkpoint, so clients would never receive it.',
    fix: "Turn on the connector's sink notifications with a one-partition topic named as `SYNCLINE_NOTIFICATION_TOPIC` (the template does) and restart the evaluators: the snapshot is then placed in place (docs/consistency.md §3.2). Or reprocess into a new deployment.",
  },
  SYNC_E410: {
    category: 'evaluator',
    title: 'bucket-store-inconsistent',
    retriable: false,
    meaning:
      "A bucket's sorted set names an op whose body is missing from its hash, read in one atomic script: the two keys were changed outside Syncline's scripts (a partial restore, a key edited or deleted by hand).",
    fix: "Restore the deployment's keys together from one backup, or rebuild the deployment (`syncline evaluator --reset`); docs/consistency.md §2.3 lists what the keys hold.",
  },
  SYNC_E411: {
    category: 'evaluator',
    title: 'consumer-stopped',
    retriable: false,
    meaning:
      "One of the evaluator's Kafka consumers (the change consumer, the transaction reader or the notification reader) stopped for good: kafkajs gives up on an error it does not count as retriable (a programming error such as a TypeError, or a protocol error) and does not restart the consumer. Without this halt the process would stay up while nothing moves and the checkpoint stood still.",
    fix: 'Nothing if it does not happen again: the evaluator exits 1 and its supervisor restarts it, resuming from what Redis holds. If it repeats, the log line `Kafka consumer stopped` names the error; report it with that line.',
  },

  SYNC_E501: {
    category: 'dependency',
    title: 'dependency-unavailable',
    retriable: true,
    meaning:
      'Kafka, the schema registry or Redis does not answer at start-up (log: `<what> unavailable; retrying`).',
    fix: 'Nothing if it comes back; else check its address (`KAFKA_BROKERS`, `SCHEMA_REGISTRY_URL`, `REDIS_URL`).',
  },
  SYNC_E502: {
    category: 'dependency',
    title: 'topic-not-ready',
    retriable: true,
    meaning: 'A topic was created but not every partition had a leader that answers within the time allowed.',
    fix: 'Nothing if the broker catches up (the start-up step is retried); else check the broker log.',
  },

  SYNC_E601: {
    category: 'stack',
    title: 'stack-component-failed',
    retriable: false,
    meaning:
      'A stack component exited during start-up or could not be set up; the message ends with its log.',
    fix: "Follow the `what to do:` line; the component's log is in the stack's `logs` folder.",
  },
  SYNC_E602: {
    category: 'stack',
    title: 'port-in-use',
    retriable: false,
    meaning: 'A port the stack needs is taken by another process.',
    fix: 'Stop that process, or move the component with the variable the message names (e.g. `SYNCLINE_REDIS_PORT`).',
  },
  SYNC_E603: {
    category: 'stack',
    title: 'missing-tool',
    retriable: false,
    meaning: 'A program the stack runs (java, initdb, redis-server, mvn) is missing or too old.',
    fix: '`npm run setup` installs what a fresh machine lacks; or point the variable the message names at it.',
  },
  SYNC_E604: {
    category: 'stack',
    title: 'download-failed',
    retriable: true,
    meaning: 'The Maven download of Kafka, Debezium or Apicurio failed.',
    fix: 'Check access to Maven Central (or the configured mirror), then run `syncline stack up` again.',
  },
  SYNC_E605: {
    category: 'stack',
    title: 'readiness-timeout',
    retriable: false,
    meaning: 'A component started but did not become ready in time.',
    fix: 'Read its log; on a slow machine raise `SYNCLINE_READY_TIMEOUT_S` (docs/local-stack.md).',
  },
  SYNC_E606: {
    category: 'stack',
    title: 'stack-config',
    retriable: false,
    meaning: 'A variable that configures the local stack is invalid.',
    fix: 'Fix the variable the message names (docs/local-stack.md lists them).',
  },
  SYNC_E607: {
    category: 'stack',
    title: 'postgres-not-logical',
    retriable: false,
    meaning: 'Postgres answers but cannot be used for logical replication (`wal_level`, replication rights).',
    fix: 'Set `wal_level=logical` and grant REPLICATION, or let the stack run its own Postgres.',
  },
  SYNC_E608: {
    category: 'stack',
    title: 'connector-failed',
    retriable: false,
    meaning: 'The Debezium connector did not reach RUNNING; the message carries its trace.',
    fix: "Read the trace and Kafka Connect's log; the usual causes are Postgres settings and the slot.",
  },

  SYNC_E701: {
    category: 'cli',
    title: 'usage',
    retriable: false,
    meaning: 'The command line is not valid for the command (unknown subcommand or flag, missing argument).',
    fix: 'Run `syncline <command> --help` for its usage.',
  },

  ...GATEWAY_ERRORS,

  SYNC_E901: {
    category: 'bucket-topic',
    title: 'bucket-topic-failed',
    retriable: false,
    meaning:
      'The bucket topic could not be written or read: its serializer disagrees with the registry serde, or the read was aborted.',
    fix: 'Check the versions of @confluentinc/schemaregistry and the registry; an aborted read needs no fix.',
  },
  SYNC_E902: {
    category: 'bucket-topic',
    title: 'bucket-op-invalid',
    retriable: false,
    meaning: 'The writer was given a bucket op that breaks the record invariants (a bug in its caller).',
    fix: 'Report it with the message, which names the op, its bucket and row.',
  },
  SYNC_E903: {
    category: 'bucket-topic',
    title: 'bucket-key-invalid',
    retriable: false,
    meaning: 'A bucket-topic record key is not the JSON array `[bucket, objectType, objectId, subkey]`.',
    fix: 'Only the evaluator writes bucket topics; find the other producer of that topic.',
  },
  SYNC_E904: {
    category: 'bucket-topic',
    title: 'bucket-record-undecodable',
    retriable: false,
    meaning:
      'A bucket-topic record does not decode to a bucket op; the message gives topic, partition and offset.',
    fix: 'Only the evaluator writes bucket topics; find the other producer of that topic, or its schema change.',
  },
  SYNC_E905: {
    category: 'bucket-topic',
    title: 'bucket-op-conflict',
    retriable: false,
    meaning: 'Two different ops with the same op id for the same row: op ids were reused.',
    fix: 'Report it: op ids are never reused within a deployment (docs/consistency.md).',
  },
  SYNC_E906: {
    category: 'bucket-topic',
    title: 'bucket-topic-read-timeout',
    retriable: true,
    meaning:
      'Reading a bucket topic to its end offsets did not finish in time; the message says how far it got.',
    fix: "Read again with a longer timeout, or check the consumer's connection to the brokers.",
  },
} satisfies Record<`SYNC_E${number}`, ErrorSpec>;

export type ErrorCode = keyof typeof TABLE;

export const ERRORS: Readonly<Record<ErrorCode, ErrorSpec>> = TABLE;
