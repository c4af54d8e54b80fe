// Applies a PowerSync upload batch (the client's `uploadData` CRUD entries) to Postgres in one
// transaction: PUT inserts or replaces the row, PATCH updates the given columns, DELETE deletes.
// Only tables and columns on the allow-list are written; anything else is a 400 that says what was
// wrong, and nothing of the batch is applied. This is the template for a real backend's write path.
import type { Pool } from 'pg';

export type AllowList = Readonly<Record<string, readonly string[]>>;

export interface CrudEntry {
  readonly op: 'PUT' | 'PATCH' | 'DELETE';
  readonly type: string;
  readonly id: string;
  readonly data?: Record<string, unknown>;
}

export class UploadError extends Error {
  override readonly name = 'UploadError';
}

const IDENT = /^[a-z_][a-z0-9_]*$/;

/** Checks the batch's shape and the allow-list; throws UploadError naming the first problem. */
export function validateBatch(body: unknown, allow: AllowList): CrudEntry[] {
  const batch = (body as { batch?: unknown } | null)?.batch;
  if (!Array.isArray(batch)) throw new UploadError('expected {"batch": [...]} with the CRUD entries');
  return batch.map((raw: unknown, i) => {
    const e = raw as Partial<CrudEntry> | null;
    const where = `batch[${i}]`;
    if (e === null || typeof e !== 'object') throw new UploadError(`${where}: not an object`);
    if (e.op !== 'PUT' && e.op !== 'PATCH' && e.op !== 'DELETE')
      throw new UploadError(`${where}: op must be PUT, PATCH or DELETE (got ${String(e.op)})`);
    if (typeof e.type !== 'string' || !(e.type in allow) || !IDENT.test(e.type))
      throw new UploadError(`${where}: table ${String(e.type)} is not writable`);
    if (typeof e.id !== 'string' || e.id === '')
      throw new UploadError(`${where}: id must be a non-empty string`);
    const data = e.data ?? {};
    if (typeof data !== 'object' || Array.isArray(data))
      throw new UploadError(`${where}: data must be an object`);
    for (const column of Object.keys(data))
      if (!allow[e.type]!.includes(column) || !IDENT.test(column))
        throw new UploadError(`${where}: column ${e.type}.${column} is not writable`);
    return { op: e.op, type: e.type, id: e.id, data: data as Record<string, unknown> };
  });
}

/** Applies the entries in one transaction (all or nothing). */
export async function applyBatch(pool: Pool, schema: string, entries: readonly CrudEntry[]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    for (const e of entries) {
      const table = `"${schema}"."${e.type}"`;
      const columns = Object.keys(e.data ?? {});
      const values = columns.map((c) => e.data![c]);
      if (e.op === 'DELETE') {
        await client.query(`DELETE FROM ${table} WHERE id = $1`, [e.id]);
      } else if (e.op === 'PUT') {
        const names = ['id', ...columns].map((c) => `"${c}"`).join(', ');
        const params = ['$1', ...columns.map((_, i) => `$${i + 2}`)].join(', ');
        const updates = columns.map((c) => `"${c}" = EXCLUDED."${c}"`).join(', ');
        await client.query(
          `INSERT INTO ${table} (${names}) VALUES (${params}) ON CONFLICT (id) DO ${updates ? `UPDATE SET ${updates}` : 'NOTHING'}`,
          [e.id, ...values],
        );
      } else if (columns.length > 0) {
        const sets = columns.map((c, i) => `"${c}" = $${i + 2}`).join(', ');
        await client.query(`UPDATE ${table} SET ${sets} WHERE id = $1`, [e.id, ...values]);
      }
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
