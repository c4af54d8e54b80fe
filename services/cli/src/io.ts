// The CLI's only view of the terminal: commands write through this so tests can capture output.
import { SynclineError } from '@syncline/errors';

export interface CliIo {
  /** Writes one line to standard output. */
  out(line: string): void;
  /** Writes one line to standard error. */
  err(line: string): void;
  /** True when standard error is a terminal (progress displays redraw only there). */
  readonly interactive: boolean;
}

export const processIo: CliIo = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
  interactive: Boolean(process.stderr.isTTY),
};

/** A usage mistake on the command line: printed without a stack trace, exit code 2. */
export class UsageError extends SynclineError {
  override readonly name = 'UsageError';
  readonly code = 'SYNC_E701';
}
