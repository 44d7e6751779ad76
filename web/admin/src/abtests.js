// abtests.js — A/B tests of recommendation models on the models screen: start one between
// two ready versions (a stable split of shoppers), its results per version (impressions,
// clicks, CTR, add-to-carts, purchases after a click, conversion) with the two-proportion
// z-test of the CTRs, and stop it (docs/recommendations.md "A/B tests").
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { number, percent, dateTime } from './format.js';

function Results({ id }) {
  const [t, setT] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => { api(`/admin/recommendations/ab-tests/${id}`).then(setT).catch((e) => setError(e.message)); }, [id]);
  if (error) return html`<p role="alert" class="error">${error}</p>`;
  if (!t) return html`<p role="status">Loading the results…</p>`;
  const { a, b, ctr_difference: d } = t.results;
  return html`<div class="table-scroll"><table class="ab-results">
    <caption>Test “${t.name}”: version ${a.version} against ${b.version} (${t.percent_b}% of shoppers see ${b.version})</caption>
    <thead><tr><th scope="col">Version</th><th scope="col" class="num">Impressions</th><th scope="col" class="num">Clicks</th><th scope="col" class="num">CTR</th>
      <th scope="col" class="num">Add to cart</th><th scope="col" class="num">Purchases after a click</th><th scope="col" class="num">Conversion</th></tr></thead>
    <tbody>${[a, b].map((r) => html`<tr><th scope="row">${r.version}</th><td class="num">${number(r.impressions)}</td><td class="num">${number(r.clicks)}</td>
      <td class="num">${percent(r.ctr)}</td><td class="num">${number(r.add_to_cart)}</td><td class="num">${number(r.purchases)}</td><td class="num">${percent(r.conversion)}</td></tr>`)}</tbody>
  </table></div>
  <p>${d ? `CTR difference: z = ${d.z.toFixed(2)}, p = ${d.p_value.toFixed(3)} — ${d.significant_at_95 ? 'significant at 95%' : 'not significant at 95%'}.` : 'Not enough impressions on both sides to compare yet.'}</p>`;
}

// READY: the versions that may be compared; ON_NOTICE: the outcome of an action.
export function AbTests({ ready, onNotice }) {
  const [tests, setTests] = useState(null);
  const [open, setOpen] = useState(null);
  const load = () => api('/admin/recommendations/ab-tests').then((r) => setTests(r.data)).catch((e) => onNotice({ error: e.message }));
  useEffect(() => { load(); }, []);
  const start = async (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    try {
      const t = await api('/admin/recommendations/ab-tests', { method: 'POST', body: {
        name: f.get('name').trim(), version_a: Number(f.get('a')), version_b: Number(f.get('b')), percent_b: Number(f.get('percent')) } });
      onNotice({ ok: `A/B test “${t.name}” started.` });
      setOpen(t.id);
      load();
    } catch (err) {
      onNotice({ error: `A/B test: ${err.message}${err.details.length ? ` (${err.details.map((x) => `${x.field} ${x.message}`).join('; ')})` : ''}` });
    }
  };
  const stop = (t) => async () => {
    try {
      await api(`/admin/recommendations/ab-tests/${t.id}/stop`, { method: 'POST' });
      onNotice({ ok: `A/B test “${t.name}” stopped; the active version serves everyone.` });
      load();
    } catch (err) {
      onNotice({ error: `A/B test: ${err.message}` });
    }
  };
  const running = tests?.some((t) => t.status === 'running');
  return html`<h2>A/B tests</h2>
    ${tests === null ? html`<p role="status">Loading A/B tests…</p>` : tests.length === 0 ? html`<p>No A/B test yet.</p>` : html`
      <div class="table-scroll"><table class="ab-tests">
        <thead><tr><th scope="col">Test</th><th scope="col">Versions</th><th scope="col">Status</th><th scope="col">Started</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>${tests.map((t) => html`<tr data-test=${t.id}><td>${t.name}</td><td>${t.version_a} / ${t.version_b} (${t.percent_b}% B)</td><td>${t.status}</td><td>${dateTime(t.started_at)}</td>
          <td><button type="button" aria-expanded=${open === t.id} onClick=${() => setOpen(open === t.id ? null : t.id)}>Results</button>
            ${t.status === 'running' && html` <button type="button" class="danger" onClick=${stop(t)}>Stop</button>`}</td></tr>`)}</tbody>
      </table></div>`}
    ${open !== null && html`<${Results} id=${open} key=${open} />`}
    ${!running && ready.length >= 2 && html`<form class="inline ab-start" onSubmit=${start}>
      <label>Name <input name="name" required maxlength="100" /></label>
      <label>Version A <select name="a">${ready.map((v) => html`<option value=${v}>${v}</option>`)}</select></label>
      <label>Version B <select name="b">${ready.map((v, i) => html`<option value=${v} selected=${i === 1}>${v}</option>`)}</select></label>
      <label>Shoppers on B (%) <input name="percent" type="number" min="1" max="99" value="50" required /></label>
      <button type="submit">Start the A/B test</button>
    </form>`}
    ${!running && ready.length < 2 && html`<p class="muted">An A/B test compares two ready versions: train another one first.</p>`}`;
}
