// Real receivers for notification tests: an HTTP server that records what arrives (and can refuse
// or hold requests), and an SMTP server that records mails.
import { type IncomingHttpHeaders, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface HttpReceiver {
  url: string;
  /** Requests answered 2xx, in arrival order. */
  accepted: ReceivedRequest[];
  /** Every request that arrived, answered or not. */
  arrived: ReceivedRequest[];
  /** ok: answer 200; fail: answer 503; hold: never answer (a receiver that hangs). */
  mode: 'ok' | 'fail' | 'hold';
  /** Resolves once `n` requests have arrived. */
  arrivals(n: number): Promise<void>;
  close(): Promise<void>;
}

export async function startHttpReceiver(port = 0): Promise<HttpReceiver> {
  const held: ServerResponse[] = [];
  const waiters: { n: number; done: () => void }[] = [];
  const r: HttpReceiver = {
    url: '',
    accepted: [],
    arrived: [],
    mode: 'ok',
    arrivals: (n) => new Promise((done) => (r.arrived.length >= n ? done() : waiters.push({ n, done }))),
    close: () =>
      new Promise((done) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += String(d)));
    req.on('end', () => {
      const got = { path: req.url ?? '', headers: req.headers, body };
      r.arrived.push(got);
      for (const w of waiters.filter((w) => r.arrived.length >= w.n)) w.done();
      if (r.mode === 'hold') return void held.push(res);
      if (r.mode === 'fail') return void res.writeHead(503).end('down for maintenance');
      r.accepted.push(got);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return r;
}

export interface Mail {
  from: string;
  to: string[];
  data: string;
  user: string | undefined;
}

export interface SmtpReceiver {
  port: number;
  mails: Mail[];
  close(): Promise<void>;
}

/** A real SMTP server (no TLS) that wants user/password `fleetmon`/`secret` and keeps every mail. */
export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: false,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, done) {
      if (auth.username === 'fleetmon' && auth.password === 'secret') done(null, { user: auth.username });
      else done(new Error('invalid user or password'));
    },
    onData(stream, session, done) {
      let data = '';
      stream.on('data', (d: Buffer) => (data += d.toString()));
      stream.on('end', () => {
        const from = session.envelope.mailFrom;
        mails.push({
          from: from === false ? '' : from.address,
          to: session.envelope.rcptTo.map((a) => a.address),
          data,
          user: typeof session.user === 'string' ? session.user : undefined,
        });
        done();
      });
    },
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise((done) => server.close(() => done())) };
}
