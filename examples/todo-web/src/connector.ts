// The app's side of PowerSync: credentials and uploads both come from the app's own backend
// (examples/backend), never from Syncline directly. The backend signs the token the gateway
// checks and tells where the gateway is; uploads go to its /api/upload, which writes Postgres.
import {
  UpdateType,
  type AbstractPowerSyncDatabase,
  type PowerSyncBackendConnector,
  type PowerSyncCredentials,
} from '@powersync/web';

export class BackendConnector implements PowerSyncBackendConnector {
  private token: string | null = null;

  constructor(private readonly user: string) {}

  async fetchCredentials(): Promise<PowerSyncCredentials> {
    const response = await fetch(`/api/token?user=${encodeURIComponent(this.user)}`);
    if (!response.ok)
      throw new Error(`the backend refused a token: ${response.status} ${await response.text()}`);
    const body = (await response.json()) as { token: string; endpoint: string; expiresAt: number };
    this.token = body.token;
    return { endpoint: body.endpoint, token: body.token, expiresAt: new Date(body.expiresAt * 1000) };
  }

  /** Sends each local transaction (its CRUD entries) to the backend, which applies it in one go. */
  async uploadData(db: AbstractPowerSyncDatabase): Promise<void> {
    const transaction = await db.getNextCrudTransaction();
    if (transaction === null) return;
    if (this.token === null) await this.fetchCredentials();
    const batch = transaction.crud.map((entry) => ({
      op: entry.op === UpdateType.PUT ? 'PUT' : entry.op === UpdateType.PATCH ? 'PATCH' : 'DELETE',
      type: entry.table,
      id: entry.id,
      data: entry.opData ?? {},
    }));
    const response = await fetch('/api/upload', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body: JSON.stringify({ batch }),
    });
    if (response.status === 401) {
      this.token = null; // expired: a new token next time
      throw new Error('upload refused: the token expired; retrying with a new one');
    }
    if (response.status === 400) {
      // The backend will never accept this transaction: drop it rather than retry it for ever (a
      // real app would tell the user). The server's state comes back through sync.
      // eslint-disable-next-line no-console -- the browser's console is the demo's log
      console.warn('upload rejected by the backend; discarded', await response.text());
    } else if (!response.ok) {
      throw new Error(`upload failed: ${response.status} ${await response.text()}`); // retried later
    }
    await transaction.complete();
  }
}
