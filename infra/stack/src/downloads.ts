// The JVM half of the stack comes from Maven Central through infra/kafka-stack/pom.xml.
// Downloads land in infra/kafka-stack/target (git-ignored) and ~/.m2; they are reused across
// `stack up` runs and only fetched again when the pom changes.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StackConfig } from './config';
import { DownloadError, MissingToolError } from './errors';
import { run } from './processes';

export interface StackDownloads {
  readonly kafkaLibs: string;
  readonly connectPlugins: string;
  readonly apicurioJar: string;
  /** Apicurio's Avro converter, a plugin folder inside connectPlugins (SYNCLINE_CHANGE_FORMAT=avro). */
  readonly avroConverter: string;
}

/** The plugin folder name of Apicurio's Avro converter under connect-plugins. */
export const AVRO_CONVERTER_PLUGIN = 'apicurio-avro-converter';

function layout(config: StackConfig): StackDownloads {
  return {
    kafkaLibs: path.join(config.downloadDir, 'kafka-libs'),
    connectPlugins: path.join(config.downloadDir, 'connect-plugins'),
    apicurioJar: path.join(config.downloadDir, 'apicurio', 'quarkus-run.jar'),
    avroConverter: path.join(config.downloadDir, 'connect-plugins', AVRO_CONVERTER_PLUGIN),
  };
}

function pomPath(config: StackConfig): string {
  return path.join(config.rootDir, 'infra', 'kafka-stack', 'pom.xml');
}

function converterPomPath(config: StackConfig): string {
  return path.join(config.rootDir, 'infra', 'kafka-stack', 'avro-converter', 'pom.xml');
}

function pomHash(config: StackConfig, pom = pomPath(config)): string {
  return createHash('sha256').update(fs.readFileSync(pom)).digest('hex');
}

function converterMarkerPath(config: StackConfig): string {
  return path.join(layout(config).avroConverter, '.syncline-pom.sha256');
}

/** True when the Avro converter plugin exists and was made from the current converter pom. */
export function avroConverterIsCurrent(config: StackConfig): boolean {
  try {
    return (
      fs.readFileSync(converterMarkerPath(config), 'utf8').trim() ===
      pomHash(config, converterPomPath(config))
    );
  } catch {
    return false;
  }
}

function markerPath(config: StackConfig): string {
  return path.join(config.downloadDir, '.syncline-pom.sha256');
}

/** True when the downloads exist and were made from the current pom. */
export function downloadsAreCurrent(config: StackConfig): boolean {
  const d = layout(config);
  try {
    return (
      fs.readFileSync(markerPath(config), 'utf8').trim() === pomHash(config) &&
      fs.existsSync(path.join(d.kafkaLibs)) &&
      fs.existsSync(path.join(d.connectPlugins, 'debezium-connector-postgres')) &&
      fs.existsSync(d.apicurioJar)
    );
  } catch {
    return false;
  }
}

/**
 * Runs the Maven downloads when needed; returns where everything is. `javaExecutable` (17+) runs
 * Kafka's connect-plugin-path tool, which writes the ServiceLoader manifests the Avro converter
 * lacks: the worker discovers plugins with `plugin.discovery=service_load`.
 */
export async function ensureDownloads(
  config: StackConfig,
  javaExecutable: string,
): Promise<StackDownloads & { downloaded: boolean }> {
  const stackCurrent = downloadsAreCurrent(config);
  if (stackCurrent && avroConverterIsCurrent(config)) return { ...layout(config), downloaded: false };
  try {
    await run('mvn', ['-v'], { timeoutMs: 60000 });
  } catch {
    throw new MissingToolError(
      'Maven (mvn) is not installed; it downloads Kafka, Debezium and Apicurio from Maven Central',
      'install it (apt-get install maven) or run `npm run setup`',
    );
  }
  if (!stackCurrent) {
    // A stale target/ from an older pom may hold other versions' jars: start clean.
    fs.rmSync(config.downloadDir, { recursive: true, force: true });
    await mavenPackage(config, pomPath(config), 'the stack (Kafka, Debezium, Apicurio)');
    fs.writeFileSync(markerPath(config), pomHash(config) + '\n');
  }
  if (!avroConverterIsCurrent(config)) await downloadAvroConverter(config, javaExecutable);
  return { ...layout(config), downloaded: true };
}

async function downloadAvroConverter(config: StackConfig, javaExecutable: string): Promise<void> {
  const dir = layout(config).avroConverter;
  fs.rmSync(dir, { recursive: true, force: true });
  await mavenPackage(config, converterPomPath(config), "Apicurio's Avro converter");
  try {
    await run(
      javaExecutable,
      [
        '-cp',
        `${layout(config).kafkaLibs}/*`,
        'org.apache.kafka.tools.ConnectPluginPath',
        'sync-manifests',
        '--plugin-location',
        dir,
      ],
      { timeoutMs: 5 * 60 * 1000 },
    );
  } catch (err) {
    throw new DownloadError(
      `writing the ServiceLoader manifests of the Avro converter plugin failed: ${(err as Error).message}`,
      `delete ${dir} and run \`syncline stack up\` again`,
      { cause: err },
    );
  }
  fs.writeFileSync(converterMarkerPath(config), pomHash(config, converterPomPath(config)) + '\n');
}

async function mavenPackage(config: StackConfig, pom: string, what: string): Promise<void> {
  try {
    await run('mvn', ['-B', '-q', '-f', pom, 'package'], { timeoutMs: 30 * 60 * 1000 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    const detail = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-12).join('\n') || e.message;
    throw new DownloadError(
      `the Maven download of ${what} failed:\n${detail}`,
      `check that Maven Central is reachable and ~/.m2/settings.xml does not point elsewhere, then run \`mvn -B -f ${path.relative(config.rootDir, pom)} package\` to see the full error`,
      { cause: err },
    );
  }
}
