// The dashboard's shell: header, hash routing (#/, #/devices/<id>, #/problems), the banner when
// the backend cannot be reached, and the token form when the backend asks for one.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { connection, onConnectionChange, setToken } from './api.js';
import { DevicePage } from './device.js';
import { backendUnreachable, connectEvents, loadFleet } from './fleet.js';
import { Overview } from './overview.js';
import { ProblemsPage } from './problems.js';

type Route = { page: 'overview' } | { page: 'device'; id: string } | { page: 'problems'; query: URLSearchParams };

function routeOf(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  const device = /^\/devices\/(.+)$/.exec(path);
  if (device?.[1]) return { page: 'device', id: decodeURIComponent(device[1]) };
  if (path.startsWith('/problems')) return { page: 'problems', query: new URLSearchParams(path.split('?')[1] ?? '') };
  return { page: 'overview' };
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => routeOf(location.hash));
  useEffect(() => {
    const follow = () => setRoute(routeOf(location.hash));
    addEventListener('hashchange', follow);
    return () => removeEventListener('hashchange', follow);
  }, []);
  return route;
}

function useConnection() {
  const [, setVersion] = useState(0);
  useEffect(() => onConnectionChange(() => setVersion((v) => v + 1)), []);
  return connection;
}

function TokenForm() {
  const [value, setValue] = useState('');
  return (
    <form
      class="token-form"
      aria-labelledby="token-title"
      onSubmit={(e) => {
        e.preventDefault();
        setToken(value.trim());
        connectEvents();
        void loadFleet();
      }}
    >
      <h2 id="token-title">This backend asks for a token</h2>
      <p>It is kept in this browser tab only (sessionStorage) and sent as <code>Authorization: Bearer</code>.</p>
      <label>
        Token <input type="password" required autocomplete="off" value={value} onInput={(e) => setValue(e.currentTarget.value)} />
      </label>
      <button type="submit">Use token</button>
    </form>
  );
}

function App() {
  const route = useRoute();
  const conn = useConnection();
  useEffect(() => {
    connectEvents();
    void loadFleet();
  }, []);
  const here = route.page;
  return (
    <>
      <header class="top">
        <a class="brand" href="#/">
          fleetmon
        </a>
        <nav aria-label="Pages">
          <a href="#/" aria-current={here === 'overview' ? 'page' : undefined}>
            Overview
          </a>
          <a href="#/problems" aria-current={here === 'problems' ? 'page' : undefined}>
            Problems and alerts
          </a>
        </nav>
        <span class={`live ${conn.streamOpen ? 'on' : 'off'}`} role="status" aria-live="polite">
          {conn.streamOpen ? 'live' : 'connecting…'}
        </span>
      </header>
      {backendUnreachable() && (
        <div class="banner" role="alert">
          backend unreachable, retrying
        </div>
      )}
      {conn.needsToken && <TokenForm />}
      <main id="main">
        {route.page === 'overview' && <Overview />}
        {route.page === 'device' && <DevicePage id={route.id} key={route.id} />}
        {route.page === 'problems' && <ProblemsPage query={route.query} />}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
