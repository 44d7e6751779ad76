// models.js — recommendation models: the versions with their offline metrics,
// training a new one (a job), activating a version and rolling back.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { Notice } from './ui.js';
import { api } from './api.js';
import { dateTime, number } from './format.js';
import { AbTests } from './abtests.js';

const METRICS = ['precision', 'recall', 'ndcg', 'map', 'coverage'];

function Metrics({ version }) {
  const [m, setM] = useState(null);
  useEffect(() => { api(`/admin/recommendations/models/${version}`).then(setM).catch(() => setM({ metrics: null })); }, [version]);
  if (!m) return html`<p role="status">Loading the metrics…</p>`;
  const rec = m.metrics?.recommenders;
  if (!rec) return html`<p>${m.metrics?.note || 'No offline metrics for this version.'}</p>`;
  return html`<div class="table-scroll"><table>
    <caption>Offline metrics at ${m.metrics.k} on the last days held out (${number(m.metrics.evaluated_users)} shoppers)</caption>
    <thead><tr><th scope="col">Recommender</th>${METRICS.map((k) => html`<th scope="col" class="num">${k}</th>`)}</tr></thead>
    <tbody>${Object.entries(rec).map(([name, r]) => html`<tr><th scope="row">${name.replaceAll('_', ' ')}</th>
      ${METRICS.map((k) => html`<td class="num">${r[k].toFixed(4)}</td>`)}</tr>`)}</tbody>
  </table></div>`;
}

export function Models() {
  const [list, setList] = useState(null);
  const [open, setOpen] = useState(null);
  const [notice, setNotice] = useState(null);
  const [awaiting, setAwaiting] = useState(null); // after "Train": {above: newest version then, polls}
  const load = () => api('/admin/recommendations/models').then(setList).catch((e) => setNotice({ error: e.message }));
  useEffect(() => { load(); }, []);
  const newest = list?.data[0]?.version ?? 0;
  useEffect(() => {
    // follow a version in training, and a requested one until its job starts (at most a minute)
    const waiting = awaiting && newest <= awaiting.above && awaiting.polls < 30;
    if (!waiting && !list?.data.some((m) => m.status === 'training')) return undefined;
    const t = setTimeout(() => { if (waiting) setAwaiting({ ...awaiting, polls: awaiting.polls + 1 }); load(); }, 2000);
    return () => clearTimeout(t);
  }, [list, awaiting]);

  const run = (what, path, body) => async () => {
    try {
      await api(path, { method: 'POST', body });
      setNotice({ ok: `${what}: done.` });
      load();
    } catch (e) {
      setNotice({ error: `${what}: ${e.message}` });
    }
  };

  return html`<section aria-labelledby="models-title">
    <div class="page-head"><h1 id="models-title">Recommendation models</h1>
      <div class="actions-inline">
        <button type="button" onClick=${() => { setAwaiting({ above: newest, polls: 0 }); run('Training requested', '/admin/recommendations/models', {})(); }}>Train a new version</button>
        <button type="button" onClick=${run('Roll back', '/admin/recommendations/rollback')}>Roll back</button>
      </div></div>
    <${Notice} notice=${notice} />
    ${list === null ? html`<p role="status">Loading models…</p>` : list.data.length === 0 ? html`<p>No model yet: train one (it needs behaviour events).</p>` : html`
      <div class="table-scroll"><table class="models">
        <thead><tr><th scope="col">Version</th><th scope="col">Status</th><th scope="col" class="num">Interactions</th><th scope="col" class="num">Shoppers</th><th scope="col" class="num">Products</th><th scope="col">Trained</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>${list.data.map((m) => html`<tr data-version=${m.version}>
          <td>${m.version}${m.active ? html` <strong class="state">active</strong>` : ''}</td><td>${m.status}${m.error ? ` (${m.error})` : ''}</td>
          <td class="num">${number(m.interactions)}</td><td class="num">${number(m.users)}</td><td class="num">${number(m.items)}</td>
          <td>${dateTime(m.finished_at || m.created_at)}</td>
          <td><button type="button" aria-expanded=${open === m.version} onClick=${() => setOpen(open === m.version ? null : m.version)}>Metrics</button>
            ${m.status === 'ready' && !m.active && html` <button type="button" onClick=${run(`Activate version ${m.version}`, `/admin/recommendations/models/${m.version}/activate`)}>Activate</button>`}</td>
        </tr>`)}</tbody>
      </table></div>`}
    ${open !== null && html`<h2>Version ${open}</h2><${Metrics} version=${open} />`}
    ${list !== null && html`<${AbTests} ready=${list.data.filter((m) => m.status === 'ready').map((m) => m.version)} onNotice=${setNotice} />`}
  </section>`;
}
