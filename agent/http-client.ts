// HTTP to the backend for the agent and the simulator: node:http over keep-alive connections.
// Not fetch: on Node 20 fetch costs several times the CPU per request (about 1,300 against 11,000
// requests/s on one core, measured with the simulator), and the agent should cost next to nothing.
import http from 'node:http';
import https from 'node:https';

export interface HttpAnswer {
  status: number;
  text: string;
}

/** Why a request got no answer: `timeout`, `aborted`, or the network error's code (ECONNREFUSED...). */
export class HttpFailure extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export interface RequestOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface HttpClient {
  /** `endpoint` is relative to the server URL, keeping any path prefix (a backend behind a proxy). */
  post(endpoint: string, body: string, options: RequestOptions): Promise<HttpAnswer>;
  get(endpoint: string, options: RequestOptions): Promise<HttpAnswer>;
  /** Close the idle keep-alive connections, so the process can exit. */
  close(): void;
}

export function endpointUrl(server: string, endpoint: string): URL {
  return new URL(endpoint, server.endsWith('/') ? server : `${server}/`);
}

function failureOf(err: unknown, timedOut: boolean, signal: AbortSignal | undefined, timeoutMs: number): HttpFailure {
  if (timedOut) return new HttpFailure('timeout', `no answer within ${timeoutMs / 1000} s`);
  if (signal?.aborted) return new HttpFailure('aborted', 'request aborted');
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  return new HttpFailure(typeof code === 'string' ? code : message, message);
}

/** `authorization` is sent with every request (the agent's token); `server` carries no credentials. */
export function createHttpClient(server: string, maxSockets = 1, authorization?: string): HttpClient {
  const client = endpointUrl(server, '').protocol === 'https:' ? https : http;
  // An idle connection is closed after 4 s, before the backend's 5 s keep-alive timeout can close
  // it under a new request (which the client would see as ECONNRESET).
  const agent = new client.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, timeout: 4_000 });

  function send(method: 'GET' | 'POST', endpoint: string, body: string | undefined, { timeoutMs, signal }: RequestOptions): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      let timedOut = false;
      const headers: http.OutgoingHttpHeaders = body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
      if (authorization !== undefined) headers.authorization = authorization;
      const req = client.request(endpointUrl(server, endpoint), { method, agent, headers, ...(signal ? { signal } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', fail);
      });
      const timer = setTimeout(() => {
        timedOut = true;
        req.destroy();
      }, timeoutMs);
      function fail(err: unknown) {
        clearTimeout(timer);
        reject(failureOf(err, timedOut, signal, timeoutMs));
      }
      req.on('error', fail);
      req.end(body);
    });
  }

  return {
    post: (endpoint, body, options) => send('POST', endpoint, body, options),
    get: (endpoint, options) => send('GET', endpoint, undefined, options),
    close: () => agent.destroy(),
  };
}
