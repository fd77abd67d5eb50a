// PostgreSQL's LISTEN/NOTIFY as a message channel between the backends on one database: a
// message sent by any of them reaches every listener once it is committed.
import { sql } from 'kysely';
import pg from 'pg';
import type { Db } from './db.js';

/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more. */
export const MAX_NOTIFY_BYTES = 7999;

/** Send messages on `channel`, in this order, in one statement (one transaction: all or none). */
export async function notifyAll(db: Db, channel: string, messages: readonly string[]): Promise<void> {
  if (messages.length === 0) return;
  await sql`select count(pg_notify(${channel}, message)) from unnest(${[...messages]}::text[]) as message`.execute(db);
}

export interface ListenerEvents {
  message(payload: string): void;
  /** The connection was lost: messages sent until `regained` are missed. */
  lost(err: Error): void;
  /** Listening again after a loss (not called for the first connection). */
  regained(): void;
}

/** Name the listener's connection shows in pg_stat_activity. */
export const LISTENER_APPLICATION_NAME = 'fleetmon-listen';

const FIRST_RETRY_MS = 100;
const LAST_RETRY_MS = 5000;

/**
 * One dedicated connection LISTENing on `channel` (a pooled one would be handed to other queries
 * and lose its LISTEN). A lost connection is opened again, with a growing pause between attempts,
 * until close(). Resolves once the first LISTEN is in place; throws if that fails.
 */
export async function listen(url: string, channel: string, on: ListenerEvents): Promise<{ close(): Promise<void> }> {
  let client: pg.Client | undefined;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryMs = FIRST_RETRY_MS;

  const connect = async (): Promise<void> => {
    const c = new pg.Client({
      connectionString: url,
      application_name: LISTENER_APPLICATION_NAME,
      // A connection that died without a word (a cut network) is noticed, not listened to forever.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    let dropped = false;
    const drop = (err: Error) => {
      if (dropped) return;
      dropped = true;
      c.removeAllListeners('notification');
      // An error after the connection is gone must not end the process.
      c.on('error', () => {});
      void c.end().catch(() => {});
      if (client !== c || closed) return;
      client = undefined;
      on.lost(err);
      scheduleRetry();
    };
    c.on('error', drop);
    c.on('end', () => drop(new Error('the connection ended')));
    c.on('notification', (n) => {
      if (n.channel === channel && n.payload !== undefined) on.message(n.payload);
    });
    try {
      await c.connect();
      await c.query(`listen ${pg.escapeIdentifier(channel)}`);
    } catch (err) {
      dropped = true;
      c.on('error', () => {});
      void c.end().catch(() => {});
      throw err;
    }
    if (closed) {
      await c.end().catch(() => {});
      return;
    }
    client = c;
    retryMs = FIRST_RETRY_MS;
  };

  const scheduleRetry = () => {
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      if (closed) return;
      connect().then(
        () => !closed && on.regained(),
        () => {
          retryMs = Math.min(retryMs * 2, LAST_RETRY_MS);
          if (!closed) scheduleRetry();
        },
      );
    }, retryMs);
    retryTimer.unref();
  };

  await connect();
  return {
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      const c = client;
      client = undefined;
      if (c) {
        c.on('error', () => {});
        c.removeAllListeners('end');
        await c.end().catch(() => {});
      }
    },
  };
}
