// Per-op and bucket checksums as the PowerSync service computes them: an op's checksum is the
// first 4 bytes of SHA-256 of its canonical string read as little-endian u32; a bucket's is the
// 32-bit wrapping sum of its ops'. Clients only add checksums up; they never recompute one.
import { digestOf } from './digest';

/** Checksum of one op's canonical string (unsigned 32-bit). */
export function opChecksum(input: string): number {
  return digestOf('sha256', input).readUInt32LE(0);
}

/** Checksum of a PUT: `put.<object_type>.<object_id>.<data>`, data being the exact JSON text sent. */
export function putChecksum(objectType: string, objectId: string, data: string): number {
  return opChecksum(`put.${objectType}.${objectId}.${data}`);
}

/** Checksum of a REMOVE: `delete.<subkey>`. */
export function removeChecksum(subkey: string): number {
  return opChecksum(`delete.${subkey}`);
}

/** 32-bit wrapping sum; accepts signed or unsigned inputs, returns unsigned. */
export function addChecksums(a: number, b: number): number {
  return ((a >>> 0) + (b >>> 0)) >>> 0;
}

/** Bucket checksum: the wrapping sum of its ops' checksums (unsigned). */
export function sumChecksums(checksums: Iterable<number>): number {
  let sum = 0;
  for (const c of checksums) sum = (sum + (c >>> 0)) >>> 0;
  return sum;
}

/** The signed int32 form the official service sends for bucket checksums. */
export function toSignedChecksum(checksum: number): number {
  return checksum | 0;
}

/** The unsigned u32 form (per-op checksums are sent unsigned). */
export function toUnsignedChecksum(checksum: number): number {
  return checksum >>> 0;
}
