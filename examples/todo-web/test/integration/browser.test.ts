// The todo demo end to end in headless Chromium (Debian's `chromium`, driven by playwright-core):
// the real app (@powersync/web, wa-sqlite in the browser) against the real pipeline, three users
// in three browser contexts. Alice and Bob share Groceries through list_members; Carol is not a
// member. Screenshots of every step go to test-results/todo-web/.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { chromium, type Browser, type Page } from 'playwright-core';
import {
  evaluatorEnv,
  getTestStack,
  openDeploymentState,
  startCapture,
  waitFor,
  type CdcCapture,
  type DeploymentState,
} from '@syncline/test-kit';
import { keyPrefixFor } from '@syncline/bucket-store';
import { buildWebApp, prepareDatabase, RULES_FILE, startDemo, type RunningDemo } from '../../demo';

jest.setTimeout(300_000);

const CHROMIUM = process.env.SYNCLINE_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = path.resolve(__dirname, '../../../../test-results/todo-web');
const GROCERIES = '6f1c0000-0000-4000-8000-000000000001';
const MILK = '6f1c0000-0000-4000-8000-000000000101';
const DUNE = '6f1c0000-0000-4000-8000-000000000201';

type Row = Record<string, unknown>;

describe('the todo demo in a real browser', () => {
  let capture: CdcCapture;
  let demo: RunningDemo | undefined;
  let state: DeploymentState | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM))
      throw new Error(
        `no Chromium at ${CHROMIUM}: run infra/bootstrap.sh (it installs Debian's chromium) or set SYNCLINE_CHROMIUM`,
      );
    fs.mkdirSync(SHOTS, { recursive: true });
    const schemaSql = fs.readFileSync(
      path.resolve(__dirname, '../../../../infra/stack/config/demo-schema.sql'),
      'utf8',
    );
    capture = await startCapture({ label: 'todo_web', setupSql: schemaSql, partitions: 2 });
    const { pgUrl } = getTestStack().endpoints;
    await prepareDatabase(pgUrl, capture.schema);
    const env = {
      ...evaluatorEnv(capture, RULES_FILE, { SYNCLINE_BUCKET_TOPIC: 'off' }),
      PG_URL: pgUrl,
      SYNCLINE_JWT_SECRET: randomBytes(32).toString('base64url'),
    };
    state = openDeploymentState(keyPrefixFor(capture.name, '1'));
    await buildWebApp();
    demo = await startDemo({ env, schema: capture.schema, port: 0, output: 'capture' });
    browser = await chromium.launch({ executablePath: CHROMIUM });
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    await state?.close();
    await capture?.close();
  });

  /** A signed-in page of its own browser context (its own IndexedDB: a separate device). */
  async function open(user: string): Promise<Page> {
    const context = await browser!.newContext();
    const page = await context.newPage();
    page.on('pageerror', (error) => process.stderr.write(`[${user} page error] ${error.message}\n`));
    await page.goto(`${demo!.url}?user=${user}`);
    return page;
  }

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  const todo = (page: Page, description: string) =>
    page.locator('[data-testid=todo]', {
      has: page.locator('[data-testid=description]', { hasText: description }),
    });
  /** The page's local SQLite, through the app's `todoDemo.db`. */
  const local = (page: Page, sql: string): Promise<Row[]> =>
    page.evaluate(
      (q) =>
        (
          globalThis as unknown as { todoDemo: { db: { getAll(s: string): Promise<Row[]> } } }
        ).todoDemo.db.getAll(q),
      sql,
    );
  const inPostgres = async (id: string): Promise<Row> =>
    (await capture.pg.query('SELECT description, completed, completed_by FROM todos WHERE id = $1', [id]))
      .rows[0] as Row;

  it('shares a list between two users, offline and back, follows Postgres, and keeps it from a non-member', async () => {
    try {
      const alice = await open('alice');
      const bob = await open('bob');
      const carol = await open('carol');
      for (const page of [alice, bob]) await todo(page, 'bread').waitFor({ timeout: 120_000 });
      await todo(carol, 'Dune').waitFor({ timeout: 120_000 });
      await shot(alice, '1-alice-first-sync');

      // Alice adds a todo; Bob sees it.
      const groceries = alice.locator(`[data-testid=list][data-id="${GROCERIES}"]`);
      await groceries.locator('[data-testid=new-todo]').fill('eggs');
      await groceries.locator('[data-testid=new-todo]').press('Enter');
      await todo(bob, 'eggs').waitFor({ timeout: 60_000 });
      await shot(bob, '2-bob-sees-alices-todo');
      const [eggs] = await local(bob, "SELECT id FROM todos WHERE description = 'eggs'");
      const eggsId = String(eggs!.id);
      expect(await inPostgres(eggsId)).toEqual({ description: 'eggs', completed: false, completed_by: null });

      // Bob goes offline and completes it: queued locally, not in Postgres.
      await bob.getByTestId('offline').click();
      await bob.locator('[data-testid=connection]', { hasText: 'offline' }).waitFor();
      await todo(bob, 'eggs').getByTestId('toggle').check();
      await bob.locator('[data-testid=pending]', { hasText: '1 pending upload' }).waitFor();
      await shot(bob, '3-bob-offline-completed');
      await new Promise((r) => setTimeout(r, 2000));
      expect(await inPostgres(eggsId)).toMatchObject({ completed: false });
      await expect(todo(alice, 'eggs').getAttribute('data-completed')).resolves.toBe('false');

      // Back online: the upload reaches Postgres, and Alice sees it completed.
      await bob.getByTestId('offline').click();
      await bob
        .locator('[data-testid=pending]', { hasText: '0 pending uploads' })
        .waitFor({ timeout: 60_000 });
      await alice
        .locator(`[data-testid=todo][data-id="${eggsId}"][data-completed=true]`)
        .waitFor({ timeout: 60_000 });
      expect(await inPostgres(eggsId)).toEqual({ description: 'eggs', completed: true, completed_by: 'bob' });
      await shot(alice, '4-alice-sees-bobs-offline-change');

      // A row changed directly in Postgres reaches both.
      await capture.pg.query("UPDATE todos SET description = 'oat milk' WHERE id = $1", [MILK]);
      for (const page of [alice, bob]) await todo(page, 'oat milk').waitFor({ timeout: 60_000 });
      await shot(bob, '5-bob-sees-postgres-change');

      // Alice deletes a todo: gone for Bob and from Postgres.
      await todo(alice, 'bread').getByTestId('delete').click();
      await todo(bob, 'bread').waitFor({ state: 'detached', timeout: 60_000 });
      await waitFor(
        'the delete reaches Postgres',
        async () =>
          (await capture.pg.query("SELECT 1 FROM todos WHERE description = 'bread'")).rowCount === 0,
      );

      // Carol is current (a change to her own list arrives) and has never received Groceries.
      await capture.pg.query("UPDATE todos SET description = 'Dune Messiah' WHERE id = $1", [DUNE]);
      await todo(carol, 'Dune Messiah').waitFor({ timeout: 60_000 });
      await shot(carol, '6-carol-only-her-list');
      expect(await local(carol, 'SELECT name FROM lists')).toEqual([{ name: 'Reading' }]);
      expect(await local(carol, `SELECT id FROM todos WHERE list_id = '${GROCERIES}'`)).toEqual([]);
      const buckets = await local(carol, "SELECT name FROM ps_buckets WHERE name != '$local'");
      expect(buckets.length).toBeGreaterThan(0);
      expect(buckets.filter((b) => String(b.name).includes(GROCERIES))).toEqual([]);
      // ... which Alice's sync details panel does show as hers.
      await waitFor('alice lists the Groceries buckets', async () =>
        (await alice.locator('[data-testid=bucket]').allTextContents()).some((t) => t.includes(GROCERIES)),
      );
    } catch (error) {
      process.stderr.write(`services:\n${demo?.output().slice(-8000)}\n`);
      throw error;
    }
  });
});
