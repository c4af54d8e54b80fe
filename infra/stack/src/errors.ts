// Errors the local stack reports to users: what went wrong and what to do about it.

/** A stack problem the user can fix; `hint` says how. Printed without a stack trace. */
export class StackError extends Error {
  override readonly name: string = 'StackError';
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
}

/** The Maven download of Kafka, Debezium or Apicurio failed. */
export class DownloadError extends StackError {
  override readonly name = 'DownloadError';
}

/** A component started but never became ready in time. */
export class ReadinessTimeoutError extends StackError {
  override readonly name = 'ReadinessTimeoutError';
}

/** Configuration (environment variables) is invalid. */
export class StackConfigError extends StackError {
  override readonly name = 'StackConfigError';
}

/** Postgres is reachable but not usable for logical replication. */
export class PostgresNotLogicalError extends StackError {
  override readonly name = 'PostgresNotLogicalError';
}

/** The Debezium connector failed to reach RUNNING. */
export class ConnectorFailedError extends StackError {
  override readonly name = 'ConnectorFailedError';
}
