// A private Postgres cluster with logical WAL, from the Debian binaries. initdb refuses to run
// as root, so as root the cluster belongs to the `postgres` system user.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import type { Component, StackContext } from '../component';
import { componentDir, logFileOf } from '../component';
import { MissingToolError, PostgresNotLogicalError, StackError } from '../errors';
import { run, tailFile } from '../processes';
import { waitUntil } from '../readiness';

const RUN_AS = 'postgres';

function findPgBin(): string {
  const fromEnv = process.env.SYNCLINE_PG_BIN;
  if (fromEnv) return fromEnv;
  try {
    const versions = fs
      .readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const bin = path.join('/usr/lib/postgresql', v, 'bin');
      if (fs.existsSync(path.join(bin, 'initdb'))) return bin;
    }
  } catch {
    // fall through
  }
  throw new MissingToolError(
    'Postgres server binaries (initdb, pg_ctl) were not found under /usr/lib/postgresql',
    'install them with `apt-get install postgresql` (or run `npm run setup`), or set SYNCLINE_PG_BIN to their folder',
  );
}

function asOwner(bin: string, args: string[]): [string, string[]] {
  const root = os.userInfo().uid === 0;
  return root ? ['runuser', ['-u', RUN_AS, '--', bin, ...args]] : [bin, args];
}

/** uid/gid of a system user, from /etc/passwd. */
function systemUser(name: string): { uid: number; gid: number } | undefined {
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  const fields = line?.split(':');
  return fields && fields.length > 3 ? { uid: Number(fields[2]), gid: Number(fields[3]) } : undefined;
}

function chownToOwner(target: string): void {
  if (os.userInfo().uid !== 0) return;
  const owner = systemUser(RUN_AS);
  if (!owner) {
    throw new MissingToolError(
      `running as root needs the '${RUN_AS}' system user to own the cluster`,
      'install the Debian postgresql package, which creates that user',
    );
  }
  fs.chownSync(target, owner.uid, owner.gid);
}

/**
 * As root the cluster belongs to another user, who must be able to search every folder down
 * to its data and log (a clone under `mktemp -d` sits in a 0700 folder). Adds o+x (search, not
 * listing) to such folders that root owns and returns them; a folder root does not own is not
 * changed here and fails with what to do.
 */
function letOwnerSearch(targets: readonly string[]): string[] {
  const owner = systemUser(RUN_AS);
  if (!owner) return [];
  const searchable = (st: fs.Stats): boolean =>
    (st.mode & (st.uid === owner.uid ? 0o100 : st.gid === owner.gid ? 0o010 : 0o001)) !== 0;
  const changed: string[] = [];
  for (const target of targets) {
    for (let dir = target; ; dir = path.dirname(dir)) {
      const st = fs.statSync(dir);
      if (!searchable(st)) {
        if (st.uid !== os.userInfo().uid)
          throw new StackError(
            `user '${RUN_AS}' cannot reach ${target}: ${dir} is not searchable by it`,
            `run \`chmod o+x ${dir}\`, or set SYNCLINE_STACK_DIR to a folder every user can reach`,
          );
        fs.chmodSync(dir, (st.mode & 0o7777) | 0o001);
        changed.push(dir);
      }
      if (path.dirname(dir) === dir) break;
    }
  }
  return changed;
}

function serverOptions(ctx: StackContext, dataDir: string): string {
  const c = ctx.config;
  return [
    `-c port=${c.ports.postgres}`,
    '-c listen_addresses=127.0.0.1',
    `-c unix_socket_directories=${dataDir}`,
    '-c wal_level=logical',
    '-c max_replication_slots=40',
    '-c max_wal_senders=40',
    '-c max_connections=200',
    '-c shared_buffers=128MB',
    // A throwaway cluster: no fsync and no full-page images. Commits stay synchronous (the
    // default): an asynchronous commit's WAL waits for the WAL writer (wal_writer_delay, 200 ms)
    // before the walsender may send it, which added up to 200 ms to every lone transaction's
    // latency through Debezium (docs/evaluator.md, "Latency breakdown").
    '-c fsync=off',
    '-c full_page_writes=off',
  ].join(' ');
}

export async function connectPg(url: string): Promise<Client> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  return client;
}

/** Fails with a clear message when the server cannot do logical replication. */
export async function assertLogicalWal(client: Client): Promise<void> {
  const { rows } = await client.query<{ wal_level: string }>('SHOW wal_level');
  const level = rows[0]?.wal_level;
  if (level !== 'logical') {
    throw new PostgresNotLogicalError(
      `Postgres runs with wal_level=${level ?? 'unknown'}; Debezium needs wal_level=logical`,
      'run `ALTER SYSTEM SET wal_level = logical` as a superuser and restart Postgres',
    );
  }
}

export const postgres: Component = {
  name: 'postgres',
  ports: (c) => [{ port: c.ports.postgres, envVar: 'SYNCLINE_PG_PORT' }],

  async preflight() {
    findPgBin();
  },

  async start(ctx) {
    const c = ctx.config;
    const bin = findPgBin();
    const home = componentDir(c, 'postgres');
    const dataDir = path.join(home, 'data');
    const log = logFileOf(c, 'postgres');
    fs.mkdirSync(home, { recursive: true });
    chownToOwner(home);
    if (os.userInfo().uid === 0) {
      fs.writeFileSync(log, '', { flag: 'a' });
      chownToOwner(log);
      for (const made of letOwnerSearch([home, path.dirname(log)]))
        ctx.note('postgres', `made ${made} searchable (o+x) so user '${RUN_AS}' can reach the cluster`);
    }
    if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
      ctx.note('postgres', 'initdb');
      const [cmd, args] = asOwner(path.join(bin, 'initdb'), [
        '-D',
        dataDir,
        '-U',
        'postgres',
        '--auth=trust',
        '-E',
        'UTF8',
        '--locale=C.UTF-8',
      ]);
      try {
        await run(cmd, args);
      } catch (err) {
        throw new StackError(
          `initdb failed: ${(err as Error).message}`,
          `check that user '${RUN_AS}' can write ${home} (every parent folder must be searchable)`,
          { cause: err },
        );
      }
    }
    const [cmd, args] = asOwner(path.join(bin, 'pg_ctl'), [
      '-D',
      dataDir,
      '-l',
      log,
      '-o',
      serverOptions(ctx, dataDir),
      '-w',
      '-t',
      '60',
      'start',
    ]);
    try {
      await run(cmd, args);
    } catch (err) {
      throw new StackError(`Postgres did not start:\n${tailFile(log)}`, `see ${log}`, { cause: err });
    }
    const adminUrl = `postgres://postgres@127.0.0.1:${c.ports.postgres}/postgres`;
    await waitUntil(async () => (await withClient(adminUrl, async () => true)) ?? false, {
      what: 'Postgres',
      timeoutMs: c.readyTimeoutMs,
    });
    await withClient(adminUrl, async (client) => {
      await assertLogicalWal(client);
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [c.pgDatabase]);
      if (exists.rowCount === 0) {
        await client.query(`CREATE DATABASE ${c.pgDatabase}`);
        ctx.note('postgres', `created database ${c.pgDatabase} with the demo schema`);
        const dbUrl = `postgres://postgres@127.0.0.1:${c.ports.postgres}/${c.pgDatabase}`;
        const sql = fs.readFileSync(
          path.join(c.rootDir, 'infra', 'stack', 'config', 'demo-schema.sql'),
          'utf8',
        );
        await withClient(dbUrl, (db) => db.query(sql));
      }
    });
    const pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return { pid, detail: `127.0.0.1:${c.ports.postgres} database ${c.pgDatabase}` };
  },

  async probe(ctx) {
    const url = `postgres://postgres@127.0.0.1:${ctx.config.ports.postgres}/${ctx.config.pgDatabase}`;
    try {
      const level = await withClient(url, async (client) => {
        const { rows } = await client.query<{ wal_level: string }>('SHOW wal_level');
        return rows[0]?.wal_level;
      });
      return level === 'logical'
        ? { healthy: true, detail: 'accepting connections, wal_level=logical' }
        : { healthy: false, detail: `wal_level=${level}` };
    } catch (err) {
      return { healthy: false, detail: (err as Error).message };
    }
  },

  async stop(ctx) {
    const dataDir = path.join(componentDir(ctx.config, 'postgres'), 'data');
    if (!fs.existsSync(path.join(dataDir, 'postmaster.pid'))) return;
    const [cmd, args] = asOwner(path.join(findPgBin(), 'pg_ctl'), [
      '-D',
      dataDir,
      '-m',
      'fast',
      '-w',
      'stop',
    ]);
    await run(cmd, args).catch(() => undefined);
  },
};

async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = await connectPg(url);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
