// GET /events: Server-Sent Events of what the event bus publishes (new samples' headline values,
// alert transitions, devices going offline and coming back). The route only subscribes and writes.
import type Router from '@koa/router';
import type { AppDeps } from '../app.js';

/** A comment line this often keeps proxies and browsers from taking a quiet stream for a dead one. */
export const HEARTBEAT_MS = 15_000;
/** A client that stopped reading is let go past this much unsent (its EventSource reconnects). */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export function registerEventRoutes(router: Router, deps: AppDeps): void {
  router.get('/events', (ctx) => {
    ctx.set('Content-Type', 'text/event-stream; charset=utf-8');
    ctx.set('Cache-Control', 'no-cache, no-transform');
    // The stream ends only when the backend closes or the client leaves; the connection goes with it.
    ctx.set('Connection', 'close');
    // For nginx in front: pass events on as they come.
    ctx.set('X-Accel-Buffering', 'no');
    ctx.status = 200;
    // HEAD gets the headers only; no subscription is left waiting behind it.
    if (ctx.method === 'HEAD') return;
    // Written here rather than as a Koa body stream: a client leaving is the normal end of an
    // event stream, not an error for Koa to log.
    ctx.respond = false;
    const res = ctx.res;
    ctx.req.socket.setNoDelay(true);
    res.flushHeaders();

    let ended = false;
    let unsubscribe = () => {};
    const end = () => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      unsubscribe();
      // The connection goes with the stream: a client that left may have only half-closed it,
      // which would keep the server's close() waiting.
      const socket = res.socket;
      res.end(() => socket?.destroy());
      if (res.destroyed || !socket?.writable) socket?.destroy();
    };
    // EventSource reconnects after `retry` ms when the stream drops (a backend restart).
    res.write('retry: 2000\n: connected\n\n');
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    // Events published together (a group commit's samples) go out in one write, not one each.
    let pending = '';
    const flush = () => {
      const text = pending;
      pending = '';
      if (!ended && text) res.write(text);
    };
    unsubscribe = deps.events.subscribe({
      onEvent: (event, json) => {
        if (res.writableLength > MAX_BUFFERED_BYTES) return end();
        if (pending === '') setImmediate(flush);
        pending += `event: ${event.type}\ndata: ${json}\n\n`;
      },
      onClose: () => {
        flush();
        end();
      },
    });
    res.once('close', end);
  });
}
