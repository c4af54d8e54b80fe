// Which Debezium snapshots are running, from the connector's notifications (the sink channel: one
// record per state change). Pure: the notification reader feeds it records in offset order. The
// coordinator asks whether an incremental snapshot is still running before it lets a checkpoint
// cover one of its windows (docs/consistency.md §3.1), and whether a full ("Initial Snapshot")
// one is running or completed since it last looked (§3.2).

/** A running incremental snapshot, as an operator needs it reported. */
export interface RunningSnapshot {
  readonly id: string;
  /** The tables it reads (`schema.table`). */
  readonly collections: readonly string[];
  /** The last notification's type (STARTED, IN_PROGRESS, PAUSED, ...). */
  readonly state: string;
  readonly table: string | null;
  readonly lastKey: string | null;
  readonly maxKey: string | null;
}

const RUNNING = new Set(['STARTED', 'IN_PROGRESS', 'PAUSED', 'RESUMED', 'TABLE_SCAN_COMPLETED']);
const ENDED = new Set(['COMPLETED', 'ABORTED']);
const INITIAL_RUNNING = new Set(['STARTED', 'IN_PROGRESS', 'TABLE_SCAN_COMPLETED']);

interface Notification {
  id?: unknown;
  aggregate_type?: unknown;
  type?: unknown;
  additional_data?: Record<string, unknown> | null;
}

function text(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

function collectionsOf(data: Record<string, unknown>): string[] {
  const list = text(data['data_collections']);
  return list === null
    ? []
    : list
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean);
}

export class IncrementalSnapshots {
  private readonly running = new Map<string, RunningSnapshot>();
  /** Notifications applied (all kinds), and ones that were not JSON notifications. */
  applied = 0;
  unreadable = 0;
  /** A full snapshot (initial, blocking or a second one) started and has not ended. */
  initialRunning = false;
  /**
   * Position (offset) of the last COMPLETED of a full snapshot after the connector's first one
   * (the deployment's initial snapshot, or its SKIPPED with `no_data`), or null.
   */
  lastInitialCompleted: bigint | null = null;
  /**
   * Position (offset) of the last COMPLETED or ABORTED of an incremental snapshot, or null. Debezium
   * sends it while it handles the last window's close watermark: that window's transaction began
   * before it, but its END follows it.
   */
  lastIncrementalEnded: bigint | null = null;
  private initialEnded = false;

  /**
   * Applies one notification record's value (the JSON converter's `{schema, payload}` envelope or
   * a bare object). Other aggregate types (the initial snapshot's) are ignored.
   */
  apply(value: Buffer | string | null, offset: bigint | null = null): void {
    const n = this.parse(value);
    if (n === null) return;
    this.applied++;
    const type = text(n.type);
    if (n.aggregate_type === 'Initial Snapshot' && type !== null) {
      this.initialRunning = INITIAL_RUNNING.has(type);
      if (type === 'COMPLETED' && offset !== null && this.initialEnded) this.lastInitialCompleted = offset;
      if (!this.initialRunning) this.initialEnded = true;
      return;
    }
    if (n.aggregate_type !== 'Incremental Snapshot') return;
    const id = text(n.id);
    if (id === null || type === null) return;
    if (ENDED.has(type)) {
      this.running.delete(id);
      this.lastIncrementalEnded = offset ?? BigInt(this.applied);
      return;
    }
    if (!RUNNING.has(type)) return;
    const data = n.additional_data ?? {};
    const before = this.running.get(id);
    const collections = collectionsOf(data);
    this.running.set(id, {
      id,
      collections: collections.length > 0 ? collections : (before?.collections ?? []),
      state: type,
      table: text(data['current_collection_in_progress']) ?? before?.table ?? null,
      lastKey: text(data['last_processed_key']) ?? before?.lastKey ?? null,
      maxKey: text(data['maximum_key']) ?? before?.maxKey ?? null,
    });
  }

  /**
   * The first running snapshot that reads a table the evaluator consumes (one of no table it
   * consumes changes nothing it publishes), or null. A snapshot whose tables the notifications
   * did not name counts as running.
   */
  runningFor(consumed: (collection: string) => boolean): RunningSnapshot | null {
    for (const s of this.running.values())
      if (s.collections.length === 0 || s.collections.some(consumed)) return s;
    return null;
  }

  private parse(value: Buffer | string | null): Notification | null {
    if (value === null) return null;
    try {
      const raw = JSON.parse(value.toString()) as { payload?: unknown; schema?: unknown } | null;
      const body = raw !== null && typeof raw === 'object' && 'payload' in raw ? raw.payload : raw;
      if (body === null || typeof body !== 'object') throw new Error('not an object');
      return body as Notification;
    } catch {
      this.unreadable++;
      return null;
    }
  }
}
