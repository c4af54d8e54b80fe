// The chart's connector hook (connector.mode=job): creates or updates the Debezium connector on
// Kafka Connect (PUT /connectors/NAME/config is idempotent) and waits until the connector and its
// task run. The rendered config comes from CONNECTOR_CONFIG with ${pgPassword} filled from
// DEBEZIUM_DATABASE_PASSWORD (the connections Secret). Exits non-zero with the reason on failure.
/* global setTimeout, AbortSignal */
import { readFileSync } from 'node:fs';

const env = (name) => {
  const value = process.env[name];
  if (!value) fail(`${name} is not set`);
  return value;
};
const connectUrl = env('CONNECT_URL').replace(/\/+$/, '');
const name = env('CONNECTOR_NAME');
const deadline = Date.now() + Number(process.env.TIMEOUT_SECONDS ?? '300') * 1000;
const password = env('DEBEZIUM_DATABASE_PASSWORD');
const config = JSON.parse(readFileSync(env('CONNECTOR_CONFIG'), 'utf8'));
for (const [key, value] of Object.entries(config)) config[key] = value.split('${pgPassword}').join(password);

function fail(message) {
  process.stderr.write(`register-connector: ${message}\n`);
  process.exit(1);
}
const log = (message) => process.stdout.write(`register-connector: ${message}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls Connect, retrying while it is unreachable or answers 5xx (it may still be starting). */
async function call(method, path, body) {
  for (let wait = 500; ; wait = Math.min(wait * 2, 5000)) {
    try {
      const res = await fetch(`${connectUrl}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30000),
      });
      if (res.status < 500) return { status: res.status, text: await res.text() };
      log(`${method} ${path}: ${res.status}, retrying`);
    } catch (error) {
      log(`${method} ${path}: ${error.cause?.code ?? error.message}, retrying`);
    }
    if (Date.now() + wait > deadline) fail(`Kafka Connect at ${connectUrl} did not answer in time`);
    await sleep(wait);
  }
}

const path = `/connectors/${encodeURIComponent(name)}`;
const put = await call('PUT', `${path}/config`, config);
if (put.status !== 200 && put.status !== 201)
  fail(`Kafka Connect rejected connector ${name} (${put.status}): ${put.text}`);
log(`connector ${name} ${put.status === 201 ? 'created' : 'updated'}; waiting until it runs`);
for (;;) {
  const { status, text } = await call('GET', `${path}/status`);
  const s = status === 200 ? JSON.parse(text) : {};
  const parts = [s.connector, ...(s.tasks ?? [])].filter(Boolean);
  const failed = parts.find((p) => p.state === 'FAILED');
  if (failed) fail(`connector ${name} failed: ${failed.trace ?? 'no trace'}`);
  if (s.connector?.state === 'RUNNING' && s.tasks?.length > 0 && parts.every((p) => p.state === 'RUNNING')) {
    log(`connector ${name} is running`);
    break;
  }
  if (Date.now() > deadline) fail(`connector ${name} is not running yet: ${text}`);
  await sleep(1000);
}
