// Settings for a private stack next to another one (for tests that must stop, restart or break a
// stack, and for a test run whose default ports another checkout's stack holds): its own
// directory and a block of ports unlikely to be taken. The block lies below Linux's ephemeral
// range (32768+), where client sockets could hold a port.
import { isPortFree } from '@syncline/stack';

/** The variables privateStackEnv sets to a port, in the order of the block. */
export const PRIVATE_PORT_VARS = [
  'SYNCLINE_PG_PORT',
  'SYNCLINE_REDIS_PORT',
  'SYNCLINE_KAFKA_PORT',
  'SYNCLINE_KAFKA_CONTROLLER_PORT',
  'SYNCLINE_CONNECT_PORT',
  'SYNCLINE_REGISTRY_PORT',
  'SYNCLINE_REGISTRY_MANAGEMENT_PORT',
] as const;

export function privateStackEnv(dir: string, topicPrefix = 'private'): NodeJS.ProcessEnv {
  const base = 21000 + Math.floor(Math.random() * 1100) * 10;
  return {
    SYNCLINE_STACK_DIR: dir,
    ...Object.fromEntries(PRIVATE_PORT_VARS.map((v, i) => [v, String(base + i)])),
    SYNCLINE_TOPIC_PREFIX: topicPrefix,
  };
}

/**
 * privateStackEnv with a block whose ports are all free right now (another process may still
 * take one before the stack binds it; `stack up` then fails on that port and names it).
 */
export async function freePrivateStackEnv(dir: string, topicPrefix = 'private'): Promise<NodeJS.ProcessEnv> {
  const tries = 20;
  for (let i = 0; i < tries; i++) {
    const env = privateStackEnv(dir, topicPrefix);
    const free = await Promise.all(PRIVATE_PORT_VARS.map((v) => isPortFree(Number(env[v]))));
    if (free.every(Boolean)) return env;
  }
  throw new Error(`no block of ${PRIVATE_PORT_VARS.length} free ports in 21000-32000 after ${tries} tries`);
}
