// One device: host, open problems, the latest raw sample, and charts (uPlot) of every history
// series with alert markers; range buttons, drag to zoom (uPlot's select), double-click to reset.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { type Alert, type DeviceDetail, type History, type Problem, getJson } from './api.js';
import { DASH, ago, alertWithSubject, bytes, duration, celsius, count, localTime, mebibytes, nowSeconds, percent } from './format.js';
import { fleet, onFleetChange, statusOf } from './fleet.js';

const RANGES = [
  { label: '1h', seconds: 3600 },
  { label: '6h', seconds: 6 * 3600 },
  { label: '24h', seconds: 86400 },
  { label: '7d', seconds: 7 * 86400 },
  { label: '30d', seconds: 30 * 86400 },
  { label: '1y', seconds: 365 * 86400 },
] as const;

interface SeriesLook {
  title: string;
  format: (v: number) => string;
}

/** A history series name (README: Series names) as a chart title and unit. */
export function describeSeries(name: string): SeriesLook {
  const pct = (v: number) => percent(v);
  if (name === 'cpu') return { title: 'CPU', format: pct };
  if (name === 'memory') return { title: 'Memory', format: pct };
  if (name === 'swap') return { title: 'Swap', format: pct };
  let m = /^disk:(.*):(percent|inode_percent)$/.exec(name);
  if (m) return { title: `${m[2] === 'percent' ? 'Disk space' : 'Inodes'} used on ${m[1]}`, format: pct };
  m = /^sensor:(.*)$/.exec(name);
  if (m) return { title: `Temperature ${m[1]}`, format: celsius };
  m = /^net:(.*):(bytes_recv|bytes_sent|errin|errout)$/.exec(name);
  if (m) {
    const what = { bytes_recv: 'received per sample', bytes_sent: 'sent per sample', errin: 'input errors', errout: 'output errors' }[m[2] as 'errin'];
    return { title: `Network ${m[1]} ${what}`, format: m[2]!.startsWith('bytes') ? bytes : count };
  }
  m = /^gpu:(.*):(utilization|memory_used_mb|temperature)$/.exec(name);
  if (m) {
    if (m[2] === 'utilization') return { title: `GPU ${m[1]} utilization`, format: pct };
    if (m[2] === 'temperature') return { title: `GPU ${m[1]} temperature`, format: celsius };
    return { title: `GPU ${m[1]} memory used`, format: mebibytes };
  }
  return { title: name, format: (v) => String(v) };
}

/** Charts in the order a person looks: CPU, memory, swap, disks, sensors, GPUs, network. */
const SERIES_ORDER = ['cpu', 'memory', 'swap', 'disk:', 'sensor:', 'gpu:', 'net:'];
const seriesRank = (name: string) => {
  const i = SERIES_ORDER.findIndex((prefix) => (prefix.endsWith(':') ? name.startsWith(prefix) : name === prefix));
  return i < 0 ? SERIES_ORDER.length : i;
};

const cssVar = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

function Chart({ name, points, markers, from, to }: { name: string; points: [number, number, number][]; markers: Alert[]; from: number; to: number }) {
  const box = useRef<HTMLDivElement>(null);
  const look = describeSeries(name);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    // Empty ends at the range's edges: the axis spans the range chosen, so an alert marker at
    // "now" or a device that started reporting midway shows where it is in time.
    const xs = [from, ...points.map((p) => p[0]), to];
    const avg: (number | null)[] = [null, ...points.map((p) => p[1]), null];
    const max: (number | null)[] = [null, ...points.map((p) => p[2]), null];
    const axis = { stroke: cssVar('--muted'), grid: { stroke: cssVar('--grid'), width: 1 }, ticks: { stroke: cssVar('--grid'), width: 1 } };
    const markerPlugin: uPlot.Plugin = {
      hooks: {
        draw: (u) => {
          const ctx = u.ctx;
          ctx.save();
          ctx.lineWidth = 2 * devicePixelRatio;
          for (const alert of markers) {
            const x = u.valToPos(alert.timestamp, 'x', true);
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
            ctx.strokeStyle = alert.kind === 'fired' ? cssVar('--critical') : cssVar('--ok');
            ctx.setLineDash(alert.kind === 'fired' ? [] : [4 * devicePixelRatio, 3 * devicePixelRatio]);
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
          }
          ctx.restore();
        },
      },
    };
    const plot = new uPlot(
      {
        width: el.clientWidth || 400,
        height: 180,
        plugins: [markerPlugin],
        cursor: { drag: { x: true, y: false } },
        legend: { show: true },
        scales: { x: { time: true } },
        axes: [axis, { ...axis, size: 70, values: (_u, ticks) => ticks.map((t) => look.format(t)) }],
        series: [
          {},
          { label: 'average', stroke: cssVar('--accent'), width: 1.5, value: (_u, v) => (v == null ? DASH : look.format(v)) },
          { label: 'max', stroke: cssVar('--muted'), width: 1, dash: [4, 3], value: (_u, v) => (v == null ? DASH : look.format(v)) },
        ],
      },
      [xs, avg, max],
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height: 180 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [points, markers, from, to]);
  const values = points.map((p) => p[1]);
  const average = values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
  const peak = points.length ? Math.max(...points.map((p) => p[2])) : null;
  return (
    <figure class="chart" data-series={name} data-points={points.length}>
      <figcaption>
        <strong>{look.title}</strong>
        <span>
          average {average == null ? DASH : look.format(average)}, max {peak == null ? DASH : look.format(peak)}
        </span>
      </figcaption>
      <div ref={box} class="chart-box" role="img" aria-label={`${look.title} over the chosen range`} />
    </figure>
  );
}

function useDevice(id: string) {
  const [detail, setDetail] = useState<DeviceDetail | null>(null);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const load = () =>
      Promise.all([
        getJson<DeviceDetail>(`/devices/${encodeURIComponent(id)}`),
        getJson<Problem[]>(`/alerts/active?device=${encodeURIComponent(id)}`),
      ]).then(
        ([d, p]) => {
          setDetail(d.body);
          setProblems(p.body);
          setError(null);
        },
        (err: unknown) => setError(err instanceof Error ? err.message : String(err)),
      );
    void load();
    // Live: when the store hears of this device (a sample, an alert), read it again, at most every 2 s.
    let seen = fleet.devices.get(id);
    let lastLoad = Date.now();
    return onFleetChange(() => {
      const device = fleet.devices.get(id);
      if (device === seen || Date.now() - lastLoad < 2000) return;
      seen = device;
      lastLoad = Date.now();
      void load();
    });
  }, [id]);
  return { detail, problems, error };
}

export function DevicePage({ id }: { id: string }) {
  const { detail, problems, error } = useDevice(id);
  const [range, setRange] = useState<(typeof RANGES)[number]>(RANGES[2]);
  const [history, setHistory] = useState<History | null>(null);
  const [markers, setMarkers] = useState<Alert[]>([]);
  const [historyError, setHistoryError] = useState<string | null>(null);

  useEffect(() => {
    const to = Math.ceil(nowSeconds());
    const from = to - range.seconds;
    const q = `from=${from}&to=${to}`;
    setHistory(null);
    Promise.all([
      getJson<History>(`/devices/${encodeURIComponent(id)}/history?${q}`),
      getJson<Alert[]>(`/alerts?device=${encodeURIComponent(id)}&since=${from}&until=${to}&limit=1000`),
    ]).then(
      ([h, a]) => {
        setHistory(h.body);
        setMarkers(a.body);
        setHistoryError(null);
      },
      (err: unknown) => setHistoryError(err instanceof Error ? err.message : String(err)),
    );
  }, [id, range]);

  if (error && !detail) return <p class="note">Could not load {id}: {error}</p>;
  if (!detail) return <p class="note">Loading {id}…</p>;
  const live = fleet.devices.get(id);
  const status = live ? statusOf(live) : detail.status;
  const host = detail.host;
  const seriesNames = history
    ? Object.keys(history.series)
        .filter((n) => (history.series[n]?.length ?? 0) > 0)
        .sort((a, b) => seriesRank(a) - seriesRank(b) || a.localeCompare(b))
    : [];
  return (
    <section aria-labelledby="device-title">
      <p>
        <a href="#/">← Overview</a>
      </p>
      <h1 id="device-title">
        {detail.id} <span class={`badge ${status}`}>{status}</span>
      </h1>
      <div class="panels">
        <section class="panel" aria-labelledby="host-title">
          <h2 id="host-title">Host</h2>
          <dl class="facts">
            <dt>OS</dt>
            <dd>{host?.os ?? DASH}</dd>
            <dt>Kernel</dt>
            <dd>{host?.kernel ?? DASH}</dd>
            <dt>Architecture</dt>
            <dd>{host?.arch ?? DASH}</dd>
            <dt>CPU</dt>
            <dd>
              {host?.cpu_model ?? DASH}
              {host?.cpu_cores ? `, ${host.cpu_cores} cores` : ''}
            </dd>
            <dt>Last seen</dt>
            <dd title={localTime(detail.last_seen)}>{ago(detail.last_seen, nowSeconds())}</dd>
            <dt>First seen</dt>
            <dd>{localTime(detail.first_seen)}</dd>
            <dt>Reports every</dt>
            <dd>{duration(detail.interval_seconds)}</dd>
          </dl>
        </section>
        <section class="panel" aria-labelledby="device-problems-title">
          <h2 id="device-problems-title">Open problems</h2>
          {problems.length === 0 ? (
            <p class="note">None.</p>
          ) : (
            <ul class="problem-list">
              {problems.map((p) => (
                <li class={p.severity}>
                  <strong>{alertWithSubject(p.alert, p.subject)}</strong> <span class="muted">since {localTime(p.since)}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
      <details class="raw">
        <summary>Latest raw sample</summary>
        <pre>{JSON.stringify(detail.latest_sample, null, 2)}</pre>
      </details>
      <div class="toolbar">
        <h2>History</h2>
        <div role="group" aria-label="Time range" class="ranges">
          {RANGES.map((r) => (
            <button type="button" aria-pressed={r === range} onClick={() => setRange(r)}>
              {r.label}
            </button>
          ))}
        </div>
        <p class="muted small">
          Drag across a chart to zoom, double-click to zoom out. Red lines: alerts fired; green dashes: recovered.
        </p>
      </div>
      {historyError && <p class="note">Could not load the history: {historyError}</p>}
      {!history && !historyError && <p class="note">Loading history…</p>}
      {history && seriesNames.length === 0 && <p class="note">No samples in this range.</p>}
      <div class="charts">
        {history && seriesNames.map((name) => <Chart key={`${name}:${range.label}`} name={name} points={history.series[name]!} markers={markers} from={history.from} to={history.to} />)}
      </div>
    </section>
  );
}
