// Settings for a second, private stack next to the run's shared one (for tests that must stop,
// restart or break a stack): its own directory and a block of ports unlikely to be taken.
export function privateStackEnv(dir: string, topicPrefix = 'private'): NodeJS.ProcessEnv {
  const base = 41000 + Math.floor(Math.random() * 2400) * 10;
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
