// Reading GET /events as a browser's EventSource would: a real HTTP client on the stream, the
// text parsed into events. Tests wait for the event they expect, never for a fixed time.
import type { FleetEvent } from '../../shared/events.js';

export interface ReceivedEvent {
  event: string;
  data: FleetEvent;
}

export interface EventStream {
  status: number;
  headers: Headers;
  /** Every comment line (`: ...`) seen so far. */
  comments: string[];
  /** Every event received so far, in order. */
  received: ReceivedEvent[];
  /** Resolves with the first event (already received or still to come) that `match` accepts. */
  next(match: (e: ReceivedEvent) => boolean, timeoutMs?: number): Promise<ReceivedEvent>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

export async function openEventStream(url: string): Promise<EventStream> {
  const abort = new AbortController();
  const res = await fetch(url, { signal: abort.signal, headers: { Accept: 'text/event-stream' } });
  const received: ReceivedEvent[] = [];
  const comments: string[] = [];
  const waiters = new Set<() => void>();
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const ended = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let event = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (data) received.push({ event, data: JSON.parse(data) as FleetEvent });
          for (const wake of waiters) wake();
        }
      }
    } catch {
      // Aborted by close().
    }
  })();
  return {
    status: res.status,
    headers: res.headers,
    comments,
    received,
    ended,
    next(match, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const look = () => {
          const found = received.find(match);
          if (!found) return false;
          waiters.delete(look);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(look);
          reject(new Error(`no matching event within ${timeoutMs} ms; received: ${JSON.stringify(received)}`));
        }, timeoutMs);
        if (!look()) waiters.add(look);
      });
    },
    close: () => abort.abort(),
  };
}
