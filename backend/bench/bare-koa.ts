// The ceiling of the HTTP layer for the ingest benchmark: Koa with the same body parser and CORS
// as the backend, answering {"ok":true} without validating or storing anything.
import { createServer } from 'node:http';
import cors from '@koa/cors';
import Koa from 'koa';
import bodyParser from 'koa-bodyparser';

const app = new Koa();
app.use(cors({ origin: '*' }));
app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '1mb', strict: true, detectJSON: () => true }));
app.use((ctx) => {
  ctx.body = { ok: true };
});
const server = createServer(app.callback());
server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  console.error(`listening on http://127.0.0.1:${address.port}, bare koa`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
