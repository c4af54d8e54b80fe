// `stack down` then `stack up` keeps what it should: the Kafka cluster (no reformat), topics and
// their messages, Postgres data, and the downloads. Runs a second, private stack on its own
// ports and directory so the run's shared stack is untouched. (Timings: bench/stack-start.ts.)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import {
  endpointsOf,
  loadStackConfig,
  repoRoot,
  stackDown,
  stackUp,
  type StackConfig,
} from '@syncline/stack';
import { createTopic, privateStackEnv, readUntil, testKafka } from '@syncline/test-kit';
import { Partitioners } from 'kafkajs';

const quiet = { starting: () => undefined, note: () => undefined, ready: () => undefined };

function privateConfig(dir: string): StackConfig {
  return loadStackConfig(privateStackEnv(dir, 'restart'), repoRoot());
}

describe('stack restart', () => {
  // Below a 0700 folder, like a clone made under `mktemp -d`: as root, Postgres runs as another
  // user, who must still reach its cluster.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syncline-restart-'));
  const stackDir = path.join(dir, 'clone', '.syncline');
  const config = privateConfig(stackDir);
  const e = endpointsOf(config);

  afterAll(async () => {
    await stackDown(config, { purge: true }).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reuses Kafka storage, topics, Postgres data and downloads after down and up', async () => {
    const first = await stackUp(config, quiet);
    expect(first.started.sort()).toEqual(['connect', 'connector', 'kafka', 'postgres', 'redis', 'registry']);
    const marker = path.join(config.downloadDir, '.syncline-pom.sha256');
    const markerBefore = fs.statSync(marker).mtimeMs;
    const meta = path.join(stackDir, 'kafka', 'data', 'meta.properties');
    const metaBefore = fs.readFileSync(meta, 'utf8');

    const kafka = testKafka(e.kafkaBrokers);
    await createTopic(kafka, 'kept', 1);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic: 'kept', messages: [{ key: 'k', value: 'survives restarts' }] });
    await producer.disconnect();
    const pg = new Client({ connectionString: e.pgUrl });
    await pg.connect();
    await pg.query("INSERT INTO lists (name, owner_id) VALUES ('kept', 'u1')");
    await pg.end();

    const down = await stackDown(config, { purge: false });
    expect(down.stopped.sort()).toEqual(['connect', 'kafka', 'postgres', 'redis', 'registry']);
    const second = await stackUp(config, quiet);
    // Every process restarted; the connector and its offsets live in Kafka, so it just resumes.
    expect(second.started.sort()).toEqual(['connect', 'kafka', 'postgres', 'redis', 'registry']);
    expect(second.reused).toEqual(['connector']);

    // Same cluster (meta.properties holds cluster.id and directory.id): nothing was reformatted.
    expect(fs.readFileSync(meta, 'utf8')).toBe(metaBefore);
    expect(fs.statSync(marker).mtimeMs).toBe(markerBefore);
    const read = await readUntil(testKafka(e.kafkaBrokers), ['kept'], (rs) => rs.length >= 1);
    expect(read.map((r) => r.value)).toEqual(['survives restarts']);
    const pg2 = new Client({ connectionString: e.pgUrl });
    await pg2.connect();
    const { rows } = await pg2.query<{ n: string }>(
      "SELECT count(*)::text AS n FROM lists WHERE name = 'kept'",
    );
    await pg2.end();
    expect(rows[0]!.n).toBe('1');
  }, 300000);
});
