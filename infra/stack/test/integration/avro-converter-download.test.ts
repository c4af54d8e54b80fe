// `stack up` fetches Apicurio's Avro converter from Maven Central when only it is missing (a
// checkout whose Kafka, Debezium and Apicurio downloads predate the converter), writes the
// ServiceLoader manifests the worker's plugin.discovery=service_load needs, and then reuses it.
// Runs Maven against the real repository (~/.m2 makes a second run fast); Kafka's jars are linked
// from this checkout's downloads, which the test stack has made current.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadStackConfig, repoRoot } from '../../src/index';
import { avroConverterIsCurrent, ensureDownloads } from '../../src/downloads';
import { findJava } from '../../src/java';

const real = loadStackConfig({}, repoRoot());
const haveDownloads = fs.existsSync(path.join(real.downloadDir, '.syncline-pom.sha256'));
if (!haveDownloads) {
  process.stderr.write(
    `SKIPPING the Avro converter download test: ${real.downloadDir} has no stack downloads to link\n`,
  );
}
const withDownloads = haveDownloads ? it : it.skip;

describe("the Avro converter's download", () => {
  let root = '';

  beforeAll(() => {
    if (!haveDownloads) return;
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'syncline-avro-dl-'));
    const stackDir = path.join(root, 'infra', 'kafka-stack');
    fs.mkdirSync(path.join(stackDir, 'avro-converter'), { recursive: true });
    for (const pom of ['pom.xml', path.join('avro-converter', 'pom.xml')])
      fs.copyFileSync(path.join(real.rootDir, 'infra', 'kafka-stack', pom), path.join(stackDir, pom));
    const target = path.join(stackDir, 'target');
    fs.mkdirSync(path.join(target, 'connect-plugins'), { recursive: true });
    for (const dir of ['kafka-libs', 'apicurio', path.join('connect-plugins', 'debezium-connector-postgres')])
      fs.symlinkSync(path.join(real.downloadDir, dir), path.join(target, dir));
    fs.copyFileSync(
      path.join(real.downloadDir, '.syncline-pom.sha256'),
      path.join(target, '.syncline-pom.sha256'),
    );
  });

  afterAll(() => (root === '' ? undefined : fs.rmSync(root, { recursive: true, force: true })));

  withDownloads(
    'fetches only the converter, with ServiceLoader manifests, and reuses it next time',
    async () => {
      const config = loadStackConfig({}, root);
      const java = await findJava(17, 'connect-plugin-path');
      expect(avroConverterIsCurrent(config)).toBe(false);
      const first = await ensureDownloads(config, java.executable);
      expect(first.downloaded).toBe(true);
      const jars = fs.readdirSync(first.avroConverter);
      expect(jars).toContain('apicurio-registry-utils-converter-2.6.13.Final.jar');
      expect(jars).toContain('apicurio-registry-serdes-avro-serde-2.6.13.Final.jar');
      // No second copy of Connect's API or clients inside the plugin.
      expect(jars.filter((j) => /^(kafka-clients|connect-api)-/.test(j))).toEqual([]);
      // connect-plugin-path writes the manifests into a shim jar of its own.
      expect(jars.some((j) => j.startsWith('connect-plugin-path-shim'))).toBe(true);
      // Kafka, Debezium and Apicurio (linked) were left alone.
      expect(fs.lstatSync(path.join(config.downloadDir, 'kafka-libs')).isSymbolicLink()).toBe(true);
      expect((await ensureDownloads(config, java.executable)).downloaded).toBe(false);
    },
    300_000,
  );
});
