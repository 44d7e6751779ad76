// jobs.js — the job queue: recent jobs by state, and a retry for the dead ones.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { Notice } from './ui.js';
import { api, qs } from './api.js';
import { dateTime } from './format.js';

export function Jobs() {
  const [state, setState] = useState('dead');
  const [jobs, setJobs] = useState(null);
  const [notice, setNotice] = useState(null);
  const load = () => api(`/admin/jobs${qs({ state, limit: 50 })}`).then((r) => setJobs(r.data)).catch((e) => setNotice({ error: e.message }));
  useEffect(() => { setJobs(null); load(); }, [state]);
  const retry = async (id) => {
    try {
      await api(`/admin/jobs/${encodeURIComponent(id)}/retry`, { method: 'POST' });
      setNotice({ ok: `Job ${id} will run again.` });
      load();
    } catch (e) {
      setNotice({ error: e.message });
    }
  };
  return html`<section aria-labelledby="jobs-title">
    <div class="page-head"><h1 id="jobs-title">Jobs</h1>
      <label>State <select value=${state} onChange=${(e) => setState(e.currentTarget.value)}>
        ${['dead', 'queued', 'running', 'done'].map((s) => html`<option value=${s}>${s}</option>`)}
      </select></label></div>
    <${Notice} notice=${notice} />
    ${jobs === null ? html`<p role="status">Loading jobs…</p>` : jobs.length === 0 ? html`<p>No ${state} jobs.</p>` : html`
      <div class="table-scroll"><table>
        <thead><tr><th scope="col">Job</th><th scope="col">Kind</th><th scope="col">Attempts</th><th scope="col">Last error</th><th scope="col">Updated</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
        <tbody>${jobs.map((j) => html`<tr><td>${j.id}</td><td>${j.kind}</td><td>${j.attempts} / ${j.max_attempts}</td>
          <td>${j.last_error || ''}</td><td>${dateTime(j.updated_at)}</td>
          <td>${j.state === 'dead' && html`<button type="button" onClick=${() => retry(j.id)}>Retry</button>`}</td></tr>`)}</tbody>
      </table></div>`}
  </section>`;
}
