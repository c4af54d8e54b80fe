// Errors the local stack reports to users: what went wrong and what to do about it. Each carries
// its code (docs/errors.md); `hint` is the fix for this occurrence, `fix` the code's general one.
import { SynclineError, type ErrorCode } from '@syncline/errors';

/** A stack problem the user can fix; `hint` says how. Printed without a stack trace. */
export class StackError extends SynclineError {
  override readonly name: string = 'StackError';
  readonly code: ErrorCode = 'SYNC_E601';
  constructor(
    message: string,
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A configured port is taken by another process. */
export class PortInUseError extends StackError {
  override readonly name = 'PortInUseError';
  override readonly code = 'SYNC_E602';
  constructor(
    message: string,
    hint: string,
    /** The component that wanted the port, the port, and the variable that sets it. */
    readonly component: string,
    readonly port: number,
    readonly envVar: string,
  ) {
    super(message, hint);
  }
}

/** A required program (java, initdb, redis-server, mvn) is missing or too old. */
export class MissingToolError extends StackError {
  override readonly name = 'MissingToolError';
  override readonly code = 'SYNC_E603';
}

/** The Maven download of Kafka, Debezium or Apicurio failed. */
export class DownloadError extends StackError {
  override readonly name = 'DownloadError';
  override readonly code = 'SYNC_E604';
}

/** A component started but never became ready in time. */
export class ReadinessTimeoutError extends StackError {
  override readonly name = 'ReadinessTimeoutError';
  override readonly code = 'SYNC_E605';
}

/** Configuration (environment variables) is invalid. */
export class StackConfigError extends StackError {
  override readonly name = 'StackConfigError';
  override readonly code = 'SYNC_E606';
}

/** Postgres is reachable but not usable for logical replication. */
export class PostgresNotLogicalError extends StackError {
  override readonly name = 'PostgresNotLogicalError';
  override readonly code = 'SYNC_E607';
}

/** The Debezium connector failed to reach RUNNING. */
export class ConnectorFailedError extends StackError {
  override readonly name = 'ConnectorFailedError';
  override readonly code = 'SYNC_E608';
}
