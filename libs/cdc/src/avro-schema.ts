// Avro writer schemas as Apicurio's AvroConverter registers them (with `connect.*` metadata), read
// back as the Connect schemas the JSON converter would have inlined, and the avsc types that decode
// them with 64-bit integers exact: a long becomes a number when it is a safe integer, else a bigint,
// exactly as @syncline/lossless-json parses JSON integers.
import avro from 'avsc';
import type { JsonValue } from '@syncline/lossless-json';
import { plainConnectSchema as plain, type ConnectSchema, type ConnectType } from './connect-schema';
import { RecordShapeError } from './malformed';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function narrow(value: bigint): number | bigint {
  return value > MAX_SAFE || value < -MAX_SAFE ? value : Number(value);
}

/** Avro `long` as number | bigint (avsc's default loses precision past 2^53). */
export const ExactLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => narrow(buf.readBigInt64LE(0)),
  toBuffer: (n: number | bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (n: number | bigint) => (typeof n === 'bigint' ? narrow(n) : n),
  toJSON: (n: number | bigint) => (typeof n === 'bigint' ? Number(n) : n),
  isValid: (n: unknown) =>
    (typeof n === 'bigint' && n >= -(2n ** 63n) && n < 2n ** 63n) ||
    (typeof n === 'number' && Number.isSafeInteger(n)),
  compare: (a: number | bigint, b: number | bigint) =>
    BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0,
});

/** An avsc type for a writer schema (JSON text), longs exact. Throws RecordShapeError. */
export function avroTypeOf(schemaText: string): avro.Type {
  try {
    return exactAvroType(JSON.parse(schemaText));
  } catch (error) {
    throw new RecordShapeError(
      'invalid-avro',
      `writer schema: not an Avro schema: ${(error as Error).message}`,
    );
  }
}

/**
 * avsc applies a registry's `long` only to the string reference "long", not to `{"type":"long"}`
 * (AvroData writes the object form when it adds `connect.*` metadata): rewrite those first.
 */
export function exactAvroType(schema: unknown, options: Partial<avro.ForSchemaOptions> = {}): avro.Type {
  return avro.Type.forSchema(longsAsReferences(schema) as avro.Schema, {
    ...options,
    registry: { long: ExactLong },
  });
}

function longsAsReferences(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(longsAsReferences);
  if (typeof node !== 'object' || node === null) return node;
  const o = node as Record<string, unknown>;
  if (o.type === 'long' && o.logicalType === undefined) return 'long';
  const out: Record<string, unknown> = { ...o, type: longsAsReferences(o.type) };
  if (Array.isArray(o.fields))
    out.fields = (o.fields as Array<Record<string, unknown>>).map((f) => ({
      ...f,
      type: longsAsReferences(f.type),
    }));
  if (o.items !== undefined) out.items = longsAsReferences(o.items);
  if (o.values !== undefined) out.values = longsAsReferences(o.values);
  return out;
}

type AvroNode = string | AvroNode[] | { readonly [key: string]: unknown };

interface AvroObject {
  readonly type: AvroNode;
  readonly name?: string;
  readonly namespace?: string;
  readonly fields?: ReadonlyArray<{ readonly name: string; readonly type: AvroNode }>;
  readonly items?: AvroNode;
  readonly values?: AvroNode;
  readonly 'connect.name'?: string;
  readonly 'connect.version'?: number;
  readonly 'connect.type'?: string;
  readonly 'connect.parameters'?: Readonly<Record<string, string>>;
  readonly 'connect.default'?: JsonValue;
}

const PRIMITIVE: Readonly<Record<string, ConnectType>> = {
  long: 'int64',
  int: 'int32',
  float: 'float',
  double: 'double',
  boolean: 'boolean',
  string: 'string',
  bytes: 'bytes',
};

/** The Connect schema an Avro writer schema stands for (JSON text in, as cached per schema id). */
export function connectSchemaOfAvro(schemaText: string): ConnectSchema {
  return toConnect(JSON.parse(schemaText) as AvroNode, new Map(), null, false, 'schema');
}

function toConnect(
  node: AvroNode,
  named: Map<string, ConnectSchema>,
  namespace: string | null,
  optional: boolean,
  path: string,
): ConnectSchema {
  if (Array.isArray(node)) {
    // AvroData writes an optional Connect schema as a two-branch union with "null".
    const branches = node.filter((b) => b !== 'null');
    if (branches.length !== 1 || node.length !== 2)
      throw new RecordShapeError(
        'invalid-avro',
        `${path}: a union other than [null, T] has no Connect schema`,
      );
    return toConnect(branches[0]!, named, namespace, true, path);
  }
  if (typeof node === 'string') {
    const primitive = PRIMITIVE[node];
    if (primitive !== undefined) return plain(primitive, optional);
    const ref = named.get(node) ?? named.get(`${namespace ?? ''}.${node}`);
    if (ref === undefined) throw new RecordShapeError('invalid-avro', `${path}: unknown type ${node}`);
    return optional === ref.optional ? ref : { ...ref, optional };
  }
  const o = node as unknown as AvroObject;
  if (typeof o.type !== 'string') return toConnect(o.type, named, namespace, optional, path);
  const meta = {
    name: o['connect.name'] ?? null,
    version: o['connect.version'] ?? null,
    parameters: o['connect.parameters'] ?? null,
    defaultValue: o['connect.default'],
  };
  if (o.type === 'record') {
    const ns = o.name?.includes('.') ? o.name.slice(0, o.name.lastIndexOf('.')) : (o.namespace ?? namespace);
    const fullName = o.name?.includes('.') ? o.name : `${ns ?? ''}.${o.name ?? ''}`;
    const fields: Array<{ field: string; schema: ConnectSchema }> = [];
    const schema: ConnectSchema = {
      ...plain('struct', optional),
      ...meta,
      name: meta.name ?? fullName.replace(/^\./, ''),
      fields,
    };
    named.set(fullName.replace(/^\./, ''), schema);
    if (o.name !== undefined) named.set(o.name, schema);
    for (const f of o.fields ?? [])
      fields.push({ field: f.name, schema: toConnect(f.type, named, ns, false, `${path}.${f.name}`) });
    return schema;
  }
  if (o.type === 'array')
    return {
      ...plain('array', optional),
      ...meta,
      items: toConnect(o.items!, named, namespace, false, path),
    };
  if (o.type === 'map')
    return {
      ...plain('map', optional),
      ...meta,
      keys: plain('string', false),
      values: toConnect(o.values!, named, namespace, false, path),
    };
  const primitive = PRIMITIVE[o.type];
  if (primitive === undefined)
    throw new RecordShapeError('invalid-avro', `${path}: unsupported type ${o.type}`);
  const connectType = (o['connect.type'] as ConnectType | undefined) ?? primitive;
  return { ...plain(connectType, optional), ...meta };
}

/**
 * avsc's decoded value as the JSON decoder's values: plain objects, bytes as base64 (what
 * JsonConverter writes for Connect bytes), longs already number | bigint.
 */
export function toJsonValue(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object') return value as JsonValue;
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map(toJsonValue);
  const out: Record<string, JsonValue> = {};
  for (const key of Object.keys(value)) out[key] = toJsonValue((value as Record<string, unknown>)[key]);
  return out;
}
