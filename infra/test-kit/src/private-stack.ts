// Settings for a second, private stack next to the run's shared one (for tests that must stop,
// restart or break a stack): its own directory and a block of ports unlikely to be taken. The
// block lies below Linux's ephemeral range (32768+), where client sockets could hold a port.
export function privateStackEnv(dir: string, topicPrefix = 'private'): NodeJS.ProcessEnv {
  const base = 21000 + Math.floor(Math.random() * 1100) * 10;
  return {
    SYNCLINE_STACK_DIR: dir,
    SYNCLINE_PG_PORT: String(base),
    SYNCLINE_REDIS_PORT: String(base + 1),
    SYNCLINE_KAFKA_PORT: String(base + 2),
    SYNCLINE_KAFKA_CONTROLLER_PORT: String(base + 3),
    SYNCLINE_CONNECT_PORT: String(base + 4),
    SYNCLINE_REGISTRY_PORT: String(base + 5),
    SYNCLINE_REGISTRY_MANAGEMENT_PORT: String(base + 6),
    SYNCLINE_TOPIC_PREFIX: topicPrefix,
  };
}
