// Problems and alerts: what is open across the fleet, the alert history with GET /alerts's filters
// (paged with X-Next-Cursor), and the rules in force (for one device when the filter names one).
import { useEffect, useState } from 'preact/hooks';
import { type Alert, type Problem, type Rules, getJson } from './api.js';
import { alertWithSubject, localTime, readingWithLimit } from './format.js';
import { fleet, onFleetChange } from './fleet.js';

interface Filter {
  device: string;
  severity: string;
  rule: string;
  since: string;
  until: string;
}

const PAGE = 50;

/** A datetime-local value (the browser's zone) as ISO 8601 for the API; '' stays ''. */
const isoOf = (local: string) => (local ? new Date(local).toISOString() : '');

function alertsQuery(filter: Filter, cursor?: string): string {
  const q = new URLSearchParams({ limit: String(PAGE) });
  if (filter.device) q.set('device', filter.device);
  if (filter.severity) q.set('severity', filter.severity);
  if (filter.rule) q.set('rule', filter.rule);
  if (filter.since) q.set('since', isoOf(filter.since));
  if (filter.until) q.set('until', isoOf(filter.until));
  if (cursor) q.set('cursor', cursor);
  return `/alerts?${q.toString()}`;
}

const deviceLink = (id: string) => <a href={`#/devices/${encodeURIComponent(id)}`}>{id}</a>;

function OpenProblems() {
  const [, setVersion] = useState(0);
  useEffect(() => onFleetChange(() => setVersion(fleet.version)), []);
  const open = [...fleet.problems.values()].flat().sort((a, b) => (a.severity === b.severity ? b.since - a.since : a.severity === 'critical' ? -1 : 1));
  return (
    <section aria-labelledby="open-title">
      <h2 id="open-title">Open problems{fleet.loaded ? ` (${open.length})` : ''}</h2>
      {!fleet.loaded ? (
        <p class="note">Loading…</p>
      ) : open.length === 0 ? (
        <p class="note">Nothing is wrong right now.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Problem</th>
                <th scope="col">Severity</th>
                <th scope="col">Since</th>
                <th scope="col" class="num">Value / threshold</th>
              </tr>
            </thead>
            <tbody>
              {open.map((p: Problem) => (
                <tr key={`${p.device}/${p.rule}/${p.subject}`}>
                  <td>{deviceLink(p.device)}</td>
                  <td>{alertWithSubject(p.alert, p.subject)}</td>
                  <td>
                    <span class={p.severity}>{p.severity}</span>
                  </td>
                  <td>{localTime(p.since)}</td>
                  <td class="num">{readingWithLimit(p.value, p.threshold)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function RulesInForce({ device }: { device: string }) {
  const [rules, setRules] = useState<Rules | null>(null);
  useEffect(() => {
    getJson<Rules>(device ? `/rules?device=${encodeURIComponent(device)}` : '/rules').then((r) => setRules(r.body), () => setRules(null));
  }, [device]);
  return (
    <section aria-labelledby="rules-title">
      <h2 id="rules-title">Rules in force{device ? ` for ${device}` : ' (name a device in the filter to see its own)'}</h2>
      {rules && (
        <>
          <p class="muted small">Source: {rules.source}</p>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Rule</th>
                  <th scope="col">Alert</th>
                  <th scope="col">Severity</th>
                  <th scope="col">Trigger</th>
                  <th scope="col">Enabled</th>
                </tr>
              </thead>
              <tbody>
                {rules.rules.map((r) => (
                  <tr key={r.id}>
                    <td>
                      <code>{r.id}</code>
                    </td>
                    <td>{r.alert}</td>
                    <td>{r.severity}</td>
                    <td>
                      <code>{r.trigger}</code>
                      {r.for_seconds ? ` for ${r.for_seconds} s` : ''}
                    </td>
                    <td>{r.enabled ? 'yes' : 'no'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

export function ProblemsPage({ query }: { query: URLSearchParams }) {
  const initial: Filter = {
    device: query.get('device') ?? '',
    severity: query.get('severity') ?? '',
    rule: query.get('rule') ?? '',
    since: '',
    until: '',
  };
  const [draft, setDraft] = useState<Filter>(initial);
  const [filter, setFilter] = useState<Filter>(initial);
  const [alerts, setAlerts] = useState<Alert[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [ruleIds, setRuleIds] = useState<string[]>([]);

  const loadPage = (f: Filter, after?: string) =>
    getJson<Alert[]>(alertsQuery(f, after)).then(
      ({ body, headers }) => {
        // Each page is oldest first; the list shows newest first.
        setAlerts((shown) => [...(after ? shown : []), ...body.reverse()]);
        setCursor(headers.get('X-Next-Cursor'));
        setError(null);
      },
      (err: unknown) => setError(err instanceof Error ? err.message : String(err)),
    );

  useEffect(() => void loadPage(filter), [filter]);
  useEffect(() => {
    getJson<Rules>('/rules').then((r) => setRuleIds(r.body.rules.map((x) => x.id)), () => {});
  }, []);

  const field = (key: keyof Filter) => ({
    value: draft[key],
    onInput: (e: Event) => setDraft({ ...draft, [key]: (e.currentTarget as HTMLInputElement).value }),
  });

  return (
    <section aria-labelledby="problems-title">
      <h1 id="problems-title">Problems and alerts</h1>
      <OpenProblems />
      <section aria-labelledby="history-title">
        <h2 id="history-title">Alert history</h2>
        <form
          class="filters"
          onSubmit={(e) => {
            e.preventDefault();
            setFilter({ ...draft });
          }}
        >
          <label>
            Device <input type="text" list="device-names" {...field('device')} />
          </label>
          <datalist id="device-names">
            {[...fleet.devices.keys()].slice(0, 2000).map((id) => (
              <option value={id} />
            ))}
          </datalist>
          <label>
            Severity{' '}
            <select {...field('severity')} onChange={field('severity').onInput}>
              <option value="">any</option>
              <option value="critical">critical</option>
              <option value="warning">warning</option>
            </select>
          </label>
          <label>
            Rule{' '}
            <select {...field('rule')} onChange={field('rule').onInput}>
              <option value="">any</option>
              {ruleIds.map((id) => (
                <option value={id}>{id}</option>
              ))}
            </select>
          </label>
          <label>
            Since <input type="datetime-local" step="1" {...field('since')} />
          </label>
          <label>
            Until <input type="datetime-local" step="1" {...field('until')} />
          </label>
          <button type="submit">Show alerts</button>
        </form>
        {error && (
          <p class="note" role="alert">
            {error}
          </p>
        )}
        <div class="table-wrap">
          <table aria-label="Alert history, newest first">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Device</th>
                <th scope="col">Alert</th>
                <th scope="col">Severity</th>
                <th scope="col">Rule</th>
                <th scope="col" class="num">Value / threshold</th>
              </tr>
            </thead>
            <tbody>
              {alerts.map((a) => (
                <tr key={a.id} class={a.kind}>
                  <td>{localTime(a.timestamp)}</td>
                  <td>{deviceLink(a.device)}</td>
                  <td>{alertWithSubject(a.alert, a.subject)}</td>
                  <td>
                    <span class={a.kind === 'recovered' ? 'ok' : a.severity}>{a.severity}</span>
                  </td>
                  <td>
                    <code>{a.rule}</code>
                  </td>
                  <td class="num">{readingWithLimit(a.value, a.threshold)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {alerts.length === 0 && !error && <p class="note">No alert matches.</p>}
        {cursor && (
          <button type="button" onClick={() => void loadPage(filter, cursor)}>
            Older alerts
          </button>
        )}
      </section>
      <RulesInForce device={filter.device} />
    </section>
  );
}
