// The fleet overview: one row per device, problems first; sort, filter by status, search by name.
// Rows are cheap (formatted once per change of their device) so 1,000 devices stay responsive.
import { Component } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Device, Problem } from './api.js';
import { DASH, ago, alertWithSubject, celsius, localTime, nowSeconds, percent } from './format.js';
import { type Status, fleet, onFleetChange, statusOf } from './fleet.js';

export interface Row {
  device: Device;
  status: Status;
  problems: Problem[];
}

type SortKey = 'status' | 'name' | 'cpu' | 'memory' | 'swap' | 'disk' | 'sensor' | 'gpu' | 'problems' | 'last_seen' | 'os';

const STATUS_RANK: Record<Status, number> = { problems: 0, offline: 1, online: 2 };
const STATUS_TEXT: Record<Status, string> = { problems: 'problems', offline: 'offline', online: 'online' };

const num = (v: number | null | undefined) => (v == null ? Number.NEGATIVE_INFINITY : v);
const sortValue: Record<SortKey, (r: Row) => number | string> = {
  status: (r) => STATUS_RANK[r.status],
  name: (r) => r.device.id,
  cpu: (r) => num(r.device.latest?.cpu_percent),
  memory: (r) => num(r.device.latest?.memory_percent),
  swap: (r) => num(r.device.latest?.swap_percent),
  disk: (r) => num(r.device.latest?.fullest_disk?.percent),
  sensor: (r) => num(r.device.latest?.hottest_sensor?.current),
  gpu: (r) => num(r.device.latest?.busiest_gpu?.utilization_percent),
  problems: (r) => r.problems.length,
  last_seen: (r) => r.device.last_seen,
  os: (r) => r.device.host?.os ?? '',
};

const COLUMNS: { key: SortKey; label: string; numeric?: boolean }[] = [
  { key: 'name', label: 'Device' },
  { key: 'status', label: 'Status' },
  { key: 'cpu', label: 'CPU', numeric: true },
  { key: 'memory', label: 'Memory', numeric: true },
  { key: 'swap', label: 'Swap', numeric: true },
  { key: 'disk', label: 'Fullest disk', numeric: true },
  { key: 'sensor', label: 'Hottest sensor', numeric: true },
  { key: 'gpu', label: 'GPU', numeric: true },
  { key: 'problems', label: 'Open problems' },
  { key: 'last_seen', label: 'Last seen' },
  { key: 'os', label: 'OS' },
];

/** Numbers and names first biggest/alphabetical as a person expects when clicking a header. */
const DEFAULT_DIRECTION: Record<SortKey, 1 | -1> = {
  status: 1, name: 1, cpu: -1, memory: -1, swap: -1, disk: -1, sensor: -1, gpu: -1, problems: -1, last_seen: -1, os: 1,
};

const criticalCount = (r: Row) => r.problems.filter((p) => p.severity === 'critical').length;

function compareRows(key: SortKey, direction: 1 | -1) {
  return (a: Row, b: Row): number => {
    const va = sortValue[key](a);
    const vb = sortValue[key](b);
    const order = va < vb ? -1 : va > vb ? 1 : 0;
    if (order !== 0) return order * direction;
    // Ties: problems first (critical ones before warnings), then by name.
    return (
      STATUS_RANK[a.status] - STATUS_RANK[b.status] ||
      criticalCount(b) - criticalCount(a) ||
      (a.device.id < b.device.id ? -1 : a.device.id > b.device.id ? 1 : 0)
    );
  };
}

/** One device's row; re-rendered only when its device, its problems or the minute shown changes. */
class DeviceRow extends Component<{ row: Row; now: number }> {
  override shouldComponentUpdate(next: { row: Row; now: number }): boolean {
    return next.row !== this.props.row || next.now !== this.props.now;
  }

  override render() {
    const { row, now } = this.props;
    const { device, status, problems } = row;
    const latest = device.latest;
    const href = `#/devices/${encodeURIComponent(device.id)}`;
    const worst = problems.find((p) => p.severity === 'critical') ?? problems[0];
    return (
      <tr class={`status-${status}`}>
        <th scope="row">
          <a href={href}>{device.id}</a>
        </th>
        <td>
          <span class={`badge ${status}`}>{STATUS_TEXT[status]}</span>
        </td>
        <td class="num">{percent(latest?.cpu_percent)}</td>
        <td class="num">{percent(latest?.memory_percent)}</td>
        <td class="num">{percent(latest?.swap_percent)}</td>
        <td class="num" title={latest?.fullest_disk?.mountpoint}>
          {latest?.fullest_disk ? `${percent(latest.fullest_disk.percent)} ${latest.fullest_disk.mountpoint}` : DASH}
        </td>
        <td class="num" title={latest?.hottest_sensor?.sensor}>
          {celsius(latest?.hottest_sensor?.current)}
        </td>
        <td class="num" title={latest?.busiest_gpu?.name}>
          {latest?.busiest_gpu
            ? `${percent(latest.busiest_gpu.utilization_percent)}${latest.busiest_gpu.temperature_c != null ? ` ${celsius(latest.busiest_gpu.temperature_c)}` : ''}`
            : DASH}
        </td>
        <td class="problems-cell">
          {problems.length === 0 ? (
            DASH
          ) : (
            // The count stays visible when a long problem text is cut short.
            <div title={problems.map((p) => alertWithSubject(p.alert, p.subject)).join('\n')}>
              <span class={`problem-text ${worst?.severity === 'critical' ? 'critical' : 'warning'}`}>
                {worst ? alertWithSubject(worst.alert, worst.subject) : ''}
              </span>
              {problems.length > 1 && <span class="more">+{problems.length - 1} more</span>}
            </div>
          )}
        </td>
        <td title={localTime(device.last_seen)}>{ago(device.last_seen, now)}</td>
        <td>{device.host?.os ?? DASH}</td>
      </tr>
    );
  }
}

function useFleetVersion(): number {
  const [version, setVersion] = useState(fleet.version);
  useEffect(() => onFleetChange(() => setVersion(fleet.version)), []);
  return version;
}

/** The time shown as "last seen" moves on every 5 seconds. */
function useNow(everyMs = 5000): number {
  const [now, setNow] = useState(() => Math.floor(nowSeconds()));
  useEffect(() => {
    const timer = setInterval(() => setNow(Math.floor(nowSeconds())), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

const rowCache = new Map<string, Row>();

/** Rows for the current fleet, reusing the previous object where nothing of the device changed. */
function currentRows(): Row[] {
  const rows: Row[] = [];
  for (const device of fleet.devices.values()) {
    const problems = fleet.problems.get(device.id) ?? [];
    const status = statusOf(device);
    const cached = rowCache.get(device.id);
    if (cached && cached.device === device && cached.problems === problems && cached.status === status) rows.push(cached);
    else {
      const row = { device, problems, status };
      rowCache.set(device.id, row);
      rows.push(row);
    }
  }
  return rows;
}

export function Overview() {
  const version = useFleetVersion();
  const now = useNow();
  const [sort, setSort] = useState<{ key: SortKey; direction: 1 | -1 }>({ key: 'status', direction: 1 });
  const [statusFilter, setStatusFilter] = useState<'all' | Status>('all');
  const [search, setSearch] = useState('');

  const all = useMemo(currentRows, [version]);
  const counts = useMemo(() => {
    const c = { problems: 0, offline: 0, online: 0 };
    for (const r of all) c[r.status]++;
    return c;
  }, [all]);
  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase();
    return all
      .filter((r) => (statusFilter === 'all' || r.status === statusFilter) && (needle === '' || r.device.id.toLowerCase().includes(needle)))
      .sort(compareRows(sort.key, sort.direction));
  }, [all, sort, statusFilter, search]);

  if (!fleet.loaded) {
    return <p class="note">{fleet.loadError ? `Could not load the fleet: ${fleet.loadError}` : 'Loading the fleet…'}</p>;
  }
  if (all.length === 0) {
    return (
      <section class="empty" aria-labelledby="empty-title">
        <h1 id="empty-title">Fleet overview</h1>
        <p>
          No device has reported yet: start an agent with <code>npx fleetmon-agent --server {location.origin}</code>
        </p>
      </section>
    );
  }

  const clickHeader = (key: SortKey) =>
    setSort((s) => (s.key === key ? { key, direction: s.direction === 1 ? -1 : 1 } : { key, direction: DEFAULT_DIRECTION[key] }));

  return (
    <section aria-labelledby="overview-title">
      <div class="toolbar">
        <h1 id="overview-title">Fleet overview</h1>
        <p class="counts" aria-live="polite">
          {all.length} devices: <span class={counts.problems > 0 ? 'critical' : undefined}>{counts.problems} with problems</span>, {counts.offline} offline,{' '}
          {counts.online} online
        </p>
        <label>
          Status{' '}
          <select value={statusFilter} onChange={(e) => setStatusFilter(e.currentTarget.value as 'all' | Status)}>
            <option value="all">all</option>
            <option value="problems">problems</option>
            <option value="offline">offline</option>
            <option value="online">online</option>
          </select>
        </label>
        <label>
          Search{' '}
          <input type="search" placeholder="device name" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
        </label>
      </div>
      <div class="table-wrap">
        <table class="fleet">
          <caption class="visually-hidden">
            Devices, {shown.length} shown of {all.length}; select a column header to sort
          </caption>
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th
                  scope="col"
                  class={c.numeric ? 'num' : undefined}
                  aria-sort={sort.key === c.key ? (sort.direction === 1 ? 'ascending' : 'descending') : undefined}
                >
                  <button type="button" onClick={() => clickHeader(c.key)}>
                    {c.label}
                    <span aria-hidden="true">{sort.key === c.key ? (sort.direction === 1 ? ' ▲' : ' ▼') : ''}</span>
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((row) => (
              <DeviceRow key={row.device.id} row={row} now={now} />
            ))}
          </tbody>
        </table>
        {shown.length === 0 && <p class="note">No device matches this filter.</p>}
      </div>
    </section>
  );
}
