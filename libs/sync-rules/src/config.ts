// The rules file's options: edition and the compatibility flags it implies (facts sheet §5.1).

export interface CompatibilityFlags {
  /** Timestamps use the ISO `T` separator. Default on from edition 2. */
  timestampsIso8601: boolean;
  /** Bucket names are prefixed `<version>#`. Default on from edition 2. */
  versionedBucketIds: boolean;
  /** `->> 'a.b'` is one key unless the path starts with `$`. Default on from edition 2. */
  fixedJsonExtract: boolean;
  /** Custom Postgres types map to structures. Default on from edition 2 (no effect with Debezium input). */
  customPostgresTypes: boolean;
}

/** 3 = Sync Streams (`streams:`); it turns on the same compatibility flags as 2. */
export type Edition = 1 | 2 | 3;

export interface SyncRulesConfig {
  edition: Edition;
  compatibility: CompatibilityFlags;
}

/** YAML key -> flag name. */
export const COMPATIBILITY_KEYS: Record<string, keyof CompatibilityFlags> = {
  timestamps_iso8601: 'timestampsIso8601',
  versioned_bucket_ids: 'versionedBucketIds',
  fixed_json_extract: 'fixedJsonExtract',
  custom_postgres_types: 'customPostgresTypes',
};

export function defaultCompatibility(edition: Edition): CompatibilityFlags {
  const modern = edition >= 2;
  return {
    timestampsIso8601: modern,
    versionedBucketIds: modern,
    fixedJsonExtract: modern,
    customPostgresTypes: modern,
  };
}

export function defaultConfig(edition: Edition = 1): SyncRulesConfig {
  return { edition, compatibility: defaultCompatibility(edition) };
}
