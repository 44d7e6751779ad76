// search.js — what shoppers search: searches, zero-result searches, clicks and
// click-through per query over a period, and the synonym rules the engine
// applies (docs/search.md "Administration").
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { Notice } from './ui.js';
import { api, qs, can } from './api.js';
import { daysAgo, number, percent } from './format.js';

function QueryTable({ caption, rows }) {
  if (!rows.length) return html`<p class="muted">${caption}: none in this period.</p>`;
  return html`<div class="table-scroll"><table>
    <caption>${caption}</caption>
    <thead><tr><th scope="col">Query</th><th scope="col" class="num">Searches</th><th scope="col" class="num">Found nothing</th>
      <th scope="col" class="num">Clicks</th><th scope="col" class="num">Click-through</th><th scope="col" class="num">Mean position clicked</th></tr></thead>
    <tbody>${rows.map((q) => html`<tr><td>${q.query}</td><td class="num">${number(q.searches)}</td><td class="num">${number(q.zero_results)}</td>
      <td class="num">${number(q.clicks)}</td><td class="num">${percent(q.ctr)}</td><td class="num">${number(q.mean_click_position)}</td></tr>`)}</tbody>
  </table></div>`;
}

function Synonyms() {
  const [text, setText] = useState(null);
  const [notice, setNotice] = useState(null);
  useEffect(() => { api('/admin/search/synonyms').then((r) => setText(r.rules.join('\n'))).catch((e) => setNotice({ error: e.message })); }, []);
  const save = async (e) => {
    e.preventDefault();
    const rules = new FormData(e.currentTarget).get('rules').split('\n').map((l) => l.trim()).filter(Boolean);
    try {
      const r = await api('/admin/search/synonyms', { method: 'PUT', body: { rules } });
      setText(r.rules.join('\n'));
      setNotice({ ok: `${r.rules.length} rule${r.rules.length === 1 ? '' : 's'} saved; searches use them within a second.` });
    } catch (err) {
      const where = err.details.map((d) => `${d.field} ${d.message}`).join('; ');
      setNotice({ error: where ? `${err.message} ${where}` : err.message });
    }
  };
  if (text === null) return notice?.error ? html`<p role="alert" class="error">${notice.error}</p>` : html`<p role="status">Loading synonyms…</p>`;
  return html`<form class="synonyms" onSubmit=${save}>
    <label for="rules">Synonym rules, one a line: <code>tv, television</code> (each finds the others) or <code>hoodie => sweatshirt</code> (one way); <code>#</code> starts a comment</label>
    <textarea id="rules" name="rules" rows="8" value=${text}></textarea>
    <button type="submit">Save the rules</button>
    <${Notice} notice=${notice} />
  </form>`;
}

export function Search() {
  const [days, setDays] = useState(30);
  const [report, setReport] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    setReport(null);
    api(`/admin/search/analytics${qs({ from: daysAgo(days - 1), to: daysAgo(0), limit: 20 })}`).then(setReport).catch((e) => setError(e.message));
  }, [days]);
  const t = report?.totals;
  return html`<section aria-labelledby="search-title">
    <div class="page-head"><h1 id="search-title">Search</h1>
      <label>Period <select value=${days} onChange=${(e) => setDays(Number(e.currentTarget.value))}>
        ${[7, 30, 90].map((d) => html`<option value=${d}>last ${d} days</option>`)}</select></label></div>
    ${error && html`<p role="alert" class="error">${error}</p>`}
    ${!report ? !error && html`<p role="status">Loading the search analytics…</p>` : html`
      <ul class="tiles" aria-label="Search figures">
        <li class="tile"><span class="label">Searches</span><span class="value">${number(t.searches)}</span></li>
        <li class="tile"><span class="label">Found nothing</span><span class="value">${number(t.zero_results)}</span></li>
        <li class="tile"><span class="label">Clicks</span><span class="value">${number(t.clicks)}</span></li>
        <li class="tile"><span class="label">Click-through</span><span class="value">${percent(t.ctr)}</span></li>
      </ul>
      <${QueryTable} caption="Most searched" rows=${report.top_queries} />
      <${QueryTable} caption="Searches that found nothing" rows=${report.zero_result_queries} />`}
    ${can('catalog:write') && html`<h2>Synonyms</h2><${Synonyms} />`}
  </section>`;
}
