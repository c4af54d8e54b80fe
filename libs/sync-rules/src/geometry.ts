// st_asgeojson / st_astext / st_x / st_y over PostGIS (E)WKB, given as hex text, as a blob, or as
// Debezium's geometry struct (`{"wkb": base64, "srid": n}` JSON text).
import { parseJsonValue } from './json-values';
import type { SqliteValue } from '@syncline/sqlite-value';

type Coordinates = number[];
type Geometry =
  | { type: 'Point'; coordinates: Coordinates }
  | { type: 'LineString' | 'MultiPoint'; coordinates: Coordinates[] }
  | { type: 'Polygon' | 'MultiLineString'; coordinates: Coordinates[][] }
  | { type: 'MultiPolygon'; coordinates: Coordinates[][][] };

function toBytes(value: SqliteValue): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (typeof value !== 'string') return undefined;
  if (/^([0-9a-fA-F]{2})+$/.test(value)) return Uint8Array.from(Buffer.from(value, 'hex'));
  const parsed = parseJsonValue(value);
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && typeof parsed['wkb'] === 'string') {
    return Uint8Array.from(Buffer.from(parsed['wkb'], 'base64'));
  }
  return undefined;
}

function readGeometry(bytes: Uint8Array): Geometry | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const read = (): Geometry | undefined => {
    const little = view.getUint8(pos) === 1;
    pos += 1;
    let type = view.getUint32(pos, little);
    pos += 4;
    let hasZ = (type & 0x80000000) !== 0;
    let hasM = (type & 0x40000000) !== 0;
    if ((type & 0x20000000) !== 0) pos += 4; // EWKB SRID
    type &= 0x0fffffff;
    if (type > 1000) {
      const family = Math.floor(type / 1000); // ISO WKB: 1 = Z, 2 = M, 3 = ZM
      hasZ = family === 1 || family === 3;
      hasM = family === 2 || family === 3;
      type %= 1000;
    }
    const dims = 2 + (hasZ ? 1 : 0) + (hasM ? 1 : 0);
    const point = (): Coordinates => {
      const c: number[] = [];
      for (let i = 0; i < dims; i++, pos += 8) c.push(view.getFloat64(pos, little));
      return c.slice(0, hasZ ? 3 : 2);
    };
    const count = (): number => {
      const n = view.getUint32(pos, little);
      pos += 4;
      return n;
    };
    const points = (): Coordinates[] => Array.from({ length: count() }, point);
    const rings = (): Coordinates[][] => Array.from({ length: count() }, points);
    const children = <T>(f: (g: Geometry) => T | undefined): T[] =>
      Array.from({ length: count() }, () => f(read() as Geometry) as T);
    switch (type) {
      case 1:
        return { type: 'Point', coordinates: point() };
      case 2:
        return { type: 'LineString', coordinates: points() };
      case 3:
        return { type: 'Polygon', coordinates: rings() };
      case 4:
        return { type: 'MultiPoint', coordinates: children((g) => g.coordinates as Coordinates) };
      case 5:
        return { type: 'MultiLineString', coordinates: children((g) => g.coordinates as Coordinates[]) };
      case 6:
        return { type: 'MultiPolygon', coordinates: children((g) => g.coordinates as Coordinates[][]) };
      default:
        return undefined;
    }
  };
  try {
    return read();
  } catch {
    return undefined;
  }
}

function geometryOf(value: SqliteValue): Geometry | undefined {
  const bytes = toBytes(value);
  return bytes ? readGeometry(bytes) : undefined;
}

export function stAsGeoJson(value: SqliteValue): SqliteValue {
  const g = geometryOf(value);
  return g ? JSON.stringify(g) : null;
}

function wktCoords(c: Coordinates): string {
  return c.join(' ');
}

export function stAsText(value: SqliteValue): SqliteValue {
  const g = geometryOf(value);
  if (!g) return null;
  const list = (cs: Coordinates[]): string => `(${cs.map(wktCoords).join(',')})`;
  switch (g.type) {
    case 'Point':
      return `POINT(${wktCoords(g.coordinates)})`;
    case 'LineString':
      return `LINESTRING${list(g.coordinates)}`;
    case 'MultiPoint':
      return `MULTIPOINT${list(g.coordinates)}`;
    case 'Polygon':
      return `POLYGON(${g.coordinates.map(list).join(',')})`;
    case 'MultiLineString':
      return `MULTILINESTRING(${g.coordinates.map(list).join(',')})`;
    case 'MultiPolygon':
      return `MULTIPOLYGON(${g.coordinates.map((p) => `(${p.map(list).join(',')})`).join(',')})`;
  }
}

export function stX(value: SqliteValue): SqliteValue {
  const g = geometryOf(value);
  return g?.type === 'Point' ? (g.coordinates[0] ?? null) : null;
}

export function stY(value: SqliteValue): SqliteValue {
  const g = geometryOf(value);
  return g?.type === 'Point' ? (g.coordinates[1] ?? null) : null;
}
