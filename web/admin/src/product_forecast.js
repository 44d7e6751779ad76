// product_forecast.js — one product's stored demand forecast on its screen: units a day for the
// next 28 days with the 80% and 95% intervals as bands, the method the automatic choice took
// and its holdout error (docs/analytics.md "GET /api/v1/admin/analytics/forecasts").
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, qs } from './api.js';
import { LineChart } from './chart.js';
import { number } from './format.js';

export function ProductForecast({ id }) {
  const [s, setS] = useState(null);
  useEffect(() => {
    api(`/admin/analytics/forecasts${qs({ scope: 'product', id, granularity: 'day', horizon: 28 })}`)
      .then((f) => {
        const serie = f.series.find((x) => x.measure === 'units') || f.series[0];
        setS(serie ? { serie, rows: f.rows.filter((r) => r.series === serie.series && r.scope === serie.scope) } : { none: true });
      })
      .catch((e) => setS({ error: e.message }));
  }, [id]);
  if (!s) return html`<p role="status">Loading the forecast…</p>`;
  if (s.error) return html`<p role="alert" class="error">${s.error}</p>`;
  if (s.none || !s.rows.length) return html`<p class="muted">No forecast for this product yet: it needs sales history and the daily predictions job.</p>`;
  const labels = s.rows.map((r) => r.period);
  const series = [
    { label: 'Forecast', dashed: true, values: s.rows.map((r) => r.forecast) },
    { label: '95% low', thin: true, colour: '#8fb0e0', values: s.rows.map((r) => r.lo95) },
    { label: '95% high', thin: true, colour: '#8fb0e0', band: [2, 1], values: s.rows.map((r) => r.hi95) },
    { label: '80% low', thin: true, colour: '#5b86cc', values: s.rows.map((r) => r.lo80) },
    { label: '80% high', thin: true, colour: '#5b86cc', band: [4, 3], values: s.rows.map((r) => r.hi80) },
  ];
  const m = s.serie;
  return html`<${LineChart} title=${`${m.measure === 'units' ? 'Units' : 'Revenue'} a day, next 28 days (${m.model || m.method}; holdout MASE ${m.holdout_mase === null || m.holdout_mase === undefined ? '–' : number(m.holdout_mase)})`}
    labels=${labels} series=${series} format=${(v) => number(v)} />`;
}
