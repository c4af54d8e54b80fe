// Values the chart's tests render with: the least a real install must give, and every optional
// feature on at once.
export const RULES = `bucket_definitions:
  user_lists:
    parameters: SELECT request.user_id() AS user_id
    data:
      - SELECT * FROM lists WHERE owner_id = bucket.user_id
`;

/** The values without which an install is refused: sync rules, connections and a JWT key source. */
export const minimalValues = {
  syncRules: RULES,
  connections: {
    kafkaBrokers: 'kafka-0.kafka:9092,kafka-1.kafka:9092',
    redisUrl: 'redis://redis:6379',
    schemaRegistryUrl: 'http://schema-registry:8081',
    pgUrl: 'postgres://syncline:secret@postgres:5432/app',
  },
  auth: { secret: 'a-development-secret-of-32-chars-or-more' },
};

/** Every optional feature on (KEDA rather than the evaluator's HPA: they exclude each other). */
export const allFeaturesValues = {
  evaluator: {
    autoscaling: { keda: { enabled: true, maxReplicas: 4, authenticationRef: 'kafka-tls' } },
    podAntiAffinity: 'hard',
    signalTable: 'public.debezium_signal',
    env: { SYNCLINE_SESSION_TIMEOUT_MS: 20000 },
  },
  gateway: {
    autoscaling: { enabled: true },
    ingress: { enabled: true, host: 'sync.example.com', tlsSecretName: 'sync-tls' },
    env: { SYNCLINE_MAX_CONNECTIONS: '5000' },
  },
  auth: { jwksUrls: ['https://id.example.com/.well-known/jwks.json'], audience: ['app', 'syncline'] },
  connector: {
    mode: 'strimzi',
    database: { host: 'postgres', user: 'debezium', dbname: 'app', password: 'replicate' },
    strimzi: { connectCluster: 'connect' },
    overrides: { 'signal.data.collection': 'public.debezium_signal' },
  },
  metrics: { serviceMonitor: { enabled: true, labels: { release: 'prometheus' } } },
  imagePullSecrets: [{ name: 'registry-login' }],
  podSecurityContext: { runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 },
};

/** The hook-Job variant of the connector (the other mode). */
export const connectorJobValues = {
  connector: {
    mode: 'job',
    database: { host: 'postgres', user: 'debezium', dbname: 'app', password: 'replicate' },
    job: { connectUrl: 'http://connect:8083' },
  },
};
