// What a stack provider gives a test run: the kinds of stack, the endpoints, and how to release
// them. Its own module so every provider and the setup import it without importing each other.
import type { StackEndpoints } from '@syncline/stack';

export type StackKind = 'local' | 'containers' | 'external';

export interface ProvidedStack {
  readonly kind: StackKind;
  readonly endpoints: StackEndpoints;
  /** How Kafka Connect (Debezium) reaches Postgres; differs from pgUrl inside a container network. */
  readonly connectorPgUrl: string;
  /**
   * SYNCLINE_* variables that address this stack with `syncline stack ...` and loadStackConfig,
   * when the run's environment does not (a private local stack); the global setup exports them.
   */
  readonly stackEnv?: NodeJS.ProcessEnv;
  /** Stops what this provider started; a reused or external stack is left running. */
  release(): Promise<void>;
}

export interface StackProvider {
  readonly kind: StackKind;
  acquire(log: (line: string) => void): Promise<ProvidedStack>;
}
