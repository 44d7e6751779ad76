// overview.js — the first page: KPI tiles against the previous period, revenue
// over time beside the previous period, and (admins) the funnel, cohorts and RFM segments.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, qs, face } from './api.js';
import { money, number, percent, change, daysAgo } from './format.js';
import { LineChart, Bars } from './chart.js';

const TILES = [
  ['gross_revenue', 'Gross revenue', 'money'],
  ['net_revenue', 'Net revenue', 'money'],
  ['orders', 'Orders', 'number'],
  ['aov', 'Average order', 'money'],
  ['units', 'Units sold', 'number'],
  ['new_customers', 'New customers', 'number'],
  ['visitors', 'Visitors', 'number'],
  ['conversion_rate', 'Conversion', 'percent'],
];

function show(kind, v, currency) {
  if (kind === 'money') return money(v, currency);
  if (kind === 'percent') return percent(v);
  return number(v);
}

function Tiles({ kpis }) {
  const byMetric = Object.fromEntries(kpis.rows.map((r) => [r.metric, r]));
  return html`<ul class="tiles" aria-label="Key figures">
    ${TILES.filter(([m]) => byMetric[m]).map(([m, label, kind]) => {
      const r = byMetric[m];
      const c = change(r.change);
      return html`<li class="tile" data-metric=${m}>
        <span class="tile-label">${label}</span>
        <span class="tile-value">${show(kind, r.current, kpis.currency)}</span>
        <span class=${`tile-change ${c.dir}`}>${c.text} <span class="visually-hidden">against</span><small> vs ${show(kind, r.previous, kpis.currency)}</small></span>
      </li>`;
    })}
  </ul>`;
}

function Cohorts({ rows }) {
  const months = [...new Set(rows.map((r) => r.cohort))];
  const width = Math.max(0, ...rows.map((r) => r.months_since)) + 1;
  const cell = (m, k) => rows.find((r) => r.cohort === m && r.months_since === k);
  return html`<figure class="cohorts"><figcaption>Cohort retention (customers buying again, by month of first purchase)</figcaption>
    <div class="table-scroll"><table>
      <thead><tr><th scope="col">Cohort</th><th scope="col">Size</th>${Array.from({ length: width }, (_, k) => html`<th scope="col">+${k}</th>`)}</tr></thead>
      <tbody>${months.map((m) => html`<tr><th scope="row">${m}</th><td>${cell(m, 0)?.cohort_size ?? ''}</td>
        ${Array.from({ length: width }, (_, k) => {
          const c = cell(m, k);
          const rate = c ? c.retention_rate || 0 : null;
          return html`<td class="heat" style=${rate === null ? {} : { '--heat': rate.toFixed(3) }}>${rate === null ? '' : percent(rate)}</td>`;
        })}</tr>`)}</tbody>
    </table></div></figure>`;
}

// The store's revenue: the last 56 days and the stored daily forecast after them, with its 80% and
// 95% intervals as bands; days the anomaly detector flagged are marked.
function Forecast() {
  const [s, setS] = useState(null);
  useEffect(() => {
    (async () => {
      try {
        const f = await api(`/admin/analytics/forecasts${qs({ scope: 'store', granularity: 'day', horizon: 28 })}`);
        const serie = f.series.find((x) => x.measure === 'revenue') || f.series[0];
        if (!serie) { setS({ none: true }); return; }
        const rows = f.rows.filter((r) => r.series === serie.series && r.scope === serie.scope);
        const last = serie.last_period;
        const from = new Date(Date.parse(last) - 55 * 864e5).toISOString().slice(0, 10);
        const [hist, anomalies] = await Promise.all([
          api(`/admin/analytics/timeseries${qs({ from, to: last, granularity: 'day', currency: serie.currency })}`),
          face === 'admin' ? api(`/admin/analytics/anomalies${qs({ from, to: last, metric: 'revenue' })}`).catch(() => ({ rows: [] })) : { rows: [] },
        ]);
        setS({ serie, rows, hist: hist.rows, flagged: new Map(anomalies.rows.map((a) => [a.day, a])) });
      } catch (e) {
        setS({ error: e.message });
      }
    })();
  }, []);
  if (!s) return html`<p role="status">Loading the forecast…</p>`;
  if (s.error) return html`<p role="alert" class="error">${s.error}</p>`;
  if (s.none) return html`<p class="muted">No forecast yet: the daily predictions job has not run on enough history.</p>`;
  const labels = [...s.hist.map((r) => r.period), ...s.rows.map((r) => r.period)];
  const pad = (a, before) => [...Array(before).fill(null), ...a];
  const n = s.hist.length;
  const cur = s.serie.currency;
  const series = [
    { label: 'Revenue', values: [...s.hist.map((r) => r.gross_revenue), ...Array(s.rows.length).fill(null)] },
    { label: 'Forecast', dashed: true, values: pad(s.rows.map((r) => r.forecast), n) },
    { label: '95% low', thin: true, colour: '#8fb0e0', values: pad(s.rows.map((r) => r.lo95), n) },
    { label: '95% high', thin: true, colour: '#8fb0e0', band: [3, 2], values: pad(s.rows.map((r) => r.hi95), n) },
    { label: '80% low', thin: true, colour: '#5b86cc', values: pad(s.rows.map((r) => r.lo80), n) },
    { label: '80% high', thin: true, colour: '#5b86cc', band: [5, 4], values: pad(s.rows.map((r) => r.hi80), n) },
    { label: 'Anomaly', points: true, colour: '#b5432f', values: [...s.hist.map((r) => (s.flagged.has(r.period) ? r.gross_revenue : null)), ...Array(s.rows.length).fill(null)] },
  ];
  return html`<${LineChart} title=${`Revenue forecast, next 28 days (${s.serie.model || s.serie.method}; ${s.flagged.size} anomalous days marked)`}
    labels=${labels} series=${series} format=${(v) => money(v, cur)} />`;
}

export function Overview() {
  const [days, setDays] = useState(30);
  const [state, setState] = useState({ loading: true });
  useEffect(() => {
    let live = true;
    (async () => {
      setState({ loading: true });
      try {
        const range = { from: daysAgo(days - 1), to: daysAgo(0) };
        const kpis = await api(`/admin/analytics/kpis${qs(range)}`);
        const gran = days > 120 ? 'week' : 'day';
        const [now, before] = await Promise.all([
          api(`/admin/analytics/timeseries${qs({ ...range, granularity: gran, currency: kpis.currency })}`),
          api(`/admin/analytics/timeseries${qs({ from: kpis.previous_from, to: kpis.previous_to, granularity: gran, currency: kpis.currency })}`),
        ]);
        let funnel = null, cohorts = null, rfm = null;
        if (face === 'admin') {
          [funnel, cohorts, rfm] = await Promise.all([
            api(`/admin/analytics/funnel${qs(range)}`).catch(() => null),
            api(`/admin/analytics/cohorts${qs({ from: daysAgo(365).slice(0, 8) + '01', to: range.to })}`).catch(() => null),
            api(`/admin/analytics/rfm${qs({ limit: 1 })}`).catch(() => null),
          ]);
        }
        if (live) setState({ kpis, now, before, funnel, cohorts, rfm });
      } catch (e) {
        if (live) setState({ error: e.message });
      }
    })();
    return () => { live = false; };
  }, [days]);

  const s = state;
  return html`<section aria-labelledby="overview-title">
    <div class="page-head">
      <h1 id="overview-title">${face === 'vendor' ? 'Your sales' : 'Overview'}</h1>
      <label>Period <select value=${days} onChange=${(e) => setDays(Number(e.currentTarget.value))}>
        <option value="7">Last 7 days</option><option value="30">Last 30 days</option>
        <option value="90">Last 90 days</option><option value="365">Last 12 months</option>
      </select></label>
    </div>
    ${s.loading && html`<p role="status">Loading the figures…</p>`}
    ${s.error && html`<p role="alert" class="error">${s.error}</p>`}
    ${s.kpis && html`
      <p class="muted">${s.kpis.from} to ${s.kpis.to}, against ${s.kpis.previous_from} to ${s.kpis.previous_to}${s.kpis.currency ? `, in ${s.kpis.currency}` : ''} (${s.kpis.timezone}).</p>
      <${Tiles} kpis=${s.kpis} />
      <${LineChart} title="Gross revenue" format=${(v) => money(v, s.kpis.currency)}
        labels=${s.now.rows.map((r) => r.period)}
        series=${[{ label: 'This period', values: s.now.rows.map((r) => r.gross_revenue) },
                  { label: 'Previous period', dashed: true, values: s.now.rows.map((_, i) => s.before.rows[i]?.gross_revenue ?? null) }]} />`}
    ${s.kpis && html`<${Forecast} />`}
    ${s.funnel && html`<${Bars} title="Conversion funnel (visitors)" format=${number}
        rows=${s.funnel.rows.map((r) => ({ label: r.event.replaceAll('_', ' '), value: r.count, note: r.conversion_from_previous === null ? '' : `${percent(r.conversion_from_previous)} of the step before` }))} />`}
    ${s.rfm && s.rfm.segments && html`<${Bars} title=${`RFM segments (${number(s.rfm.customers)} customers)`} format=${number}
        rows=${s.rfm.segments.map((v) => ({ label: v.segment.replaceAll('_', ' '), value: v.customers, note: money(v.revenue, s.rfm.currency) }))} />`}
    ${s.cohorts && s.cohorts.rows.length > 0 && html`<${Cohorts} rows=${s.cohorts.rows} />`}
  </section>`;
}
