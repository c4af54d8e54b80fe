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
}

function layout(config: StackConfig): StackDownloads {
  return {
    kafkaLibs: path.join(config.downloadDir, 'kafka-libs'),
    connectPlugins: path.join(config.downloadDir, 'connect-plugins'),
    apicurioJar: path.join(config.downloadDir, 'apicurio', 'quarkus-run.jar'),
  };
}

function pomPath(config: StackConfig): string {
  return path.join(config.rootDir, 'infra', 'kafka-stack', 'pom.xml');
}

function pomHash(config: StackConfig): string {
  return createHash('sha256')
    .update(fs.readFileSync(pomPath(config)))
    .digest('hex');
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

/** Runs the Maven download when needed; returns where everything is. */
export async function ensureDownloads(
  config: StackConfig,
): Promise<StackDownloads & { downloaded: boolean }> {
  if (downloadsAreCurrent(config)) return { ...layout(config), downloaded: false };
  try {
    await run('mvn', ['-v'], { timeoutMs: 60000 });
  } catch {
    throw new MissingToolError(
      'Maven (mvn) is not installed; it downloads Kafka, Debezium and Apicurio from Maven Central',
      'install it (apt-get install maven) or run `npm run setup`',
    );
  }
  // A stale target/ from an older pom may hold other versions' jars: start clean.
  fs.rmSync(config.downloadDir, { recursive: true, force: true });
  try {
    await run('mvn', ['-B', '-q', '-f', pomPath(config), 'package'], { timeoutMs: 30 * 60 * 1000 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    const detail = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-12).join('\n') || e.message;
    throw new DownloadError(
      `the Maven download of the stack (Kafka, Debezium, Apicurio) failed:\n${detail}`,
      `check that Maven Central is reachable and ~/.m2/settings.xml does not point elsewhere, then run \`mvn -B -f ${path.relative(config.rootDir, pomPath(config))} package\` to see the full error`,
      { cause: err },
    );
  }
  fs.writeFileSync(markerPath(config), pomHash(config) + '\n');
  return { ...layout(config), downloaded: true };
}
