// audit.js — the audit log, newest first, filtered by action or actor, and the
// chain's verification (every hash recomputed on the server).
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { Pager } from './ui.js';
import { api, qs } from './api.js';
import { dateTime, number } from './format.js';

export function Audit() {
  const [filter, setFilter] = useState({});
  const [cursor, setCursor] = useState(null);
  const [page, setPage] = useState(null);
  const [check, setCheck] = useState(null);
  const [error, setError] = useState(null);

  useEffect(() => {
    setPage(null);
    api(`/admin/audit${qs({ ...filter, limit: 50, cursor })}`).then(setPage).catch((e) => setError(e.message));
  }, [filter, cursor]);

  const submit = (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setCursor(null);
    setFilter({ action: f.get('action').trim(), actor_type: f.get('actor_type') });
  };
  const verify = async () => {
    setCheck({ running: true });
    try { setCheck(await api('/admin/audit/verify')); } catch (e) { setCheck({ error: e.message }); }
  };

  return html`<section aria-labelledby="audit-title">
    <div class="page-head"><h1 id="audit-title">Audit log</h1>
      <button type="button" onClick=${verify} disabled=${check?.running}>Verify the chain</button></div>
    <p class="live" role="status" aria-live="polite">${check?.running ? 'Checking every entry…'
      : check?.intact === true ? `The chain is intact: ${number(check.checked)} entries, the newest #${check.head.seq} (${check.head.hash.slice(0, 16)}…).` : ''}</p>
    ${check?.intact === false && html`<p role="alert" class="error">The chain is broken at entry #${check.first_bad}: ${check.why}</p>`}
    ${(check?.error || error) && html`<p role="alert" class="error">${check?.error || error}</p>`}
    <form class="filters" onSubmit=${submit}>
      <label>Action <input name="action" maxlength="100" placeholder="POST /api/v1/products" /></label>
      <label>Actor <select name="actor_type">${['', 'user', 'api_key', 'anonymous', 'system'].map((t) => html`<option value=${t}>${t || 'any'}</option>`)}</select></label>
      <button type="submit">Filter</button>
    </form>
    ${page === null ? html`<p role="status">Loading entries…</p>` : page.data.length === 0 ? html`<p>No entry matches.</p>` : html`
      <div class="table-scroll"><table class="audit">
        <thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Object</th><th scope="col">Result</th></tr></thead>
        <tbody>${page.data.map((a) => html`<tr><td>${a.seq}</td><td>${dateTime(a.at)}</td><td>${a.actor_type}${a.actor_id ? ` ${a.actor_id}` : ''}</td>
          <td>${a.action}</td><td>${a.object_type ? `${a.object_type} ${a.object_id}` : ''}</td><td>${a.result}</td></tr>`)}</tbody>
      </table></div>`}
    <${Pager} cursor=${cursor} next=${page?.next_cursor} onPage=${setCursor} first="Newest" more="Older" />
  </section>`;
}
