// One-shot digests of short strings. `crypto.hash` (Node 20.12+) makes no Hash object per call:
// about a third of createHash's cost on the evaluator's per-row hashes (op checksums, subkeys,
// key tags); on an older Node 20 the same digests come from createHash.
import * as crypto from 'node:crypto';

export type DigestAlgorithm = 'sha1' | 'sha256';

const oneShot = typeof crypto.hash === 'function';

/** The digest of `input` (UTF-8) as bytes. */
export function digestOf(algorithm: DigestAlgorithm, input: string): Buffer {
  return oneShot
    ? crypto.hash(algorithm, input, 'buffer')
    : crypto.createHash(algorithm).update(input, 'utf8').digest();
}

/** The digest of `input` (UTF-8) in lowercase hex. */
export function hexDigestOf(algorithm: DigestAlgorithm, input: string): string {
  return oneShot
    ? crypto.hash(algorithm, input, 'hex')
    : crypto.createHash(algorithm).update(input, 'utf8').digest('hex');
}
