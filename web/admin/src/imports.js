// imports.js — products in and out as Shopify's product CSV (docs/import-export.md): a file
// posted as an import job whose progress bar and counts follow the run, the problems it
// found line by line, and the product export as a download.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { Notice } from './ui.js';
import { api, download } from './api.js';
import { number } from './format.js';

const POLL_MS = 400;

function Progress({ run }) {
  const s = run.stats || {};
  const done = run.state === 'done' || run.state === 'failed';
  return html`<div class="import-run" data-state=${run.state}>
    <label for="import-progress">Import ${run.id}: ${run.state}</label>
    <progress id="import-progress" max="1" value=${run.progress ?? 0}>${Math.round((run.progress ?? 0) * 100)}%</progress>
    <p role="status" aria-live="polite">${done ? `Finished: ${number(s.rows)} rows, ${number(s.products)} products (${number(s.created)} new, ${number(s.updated)} changed, ${number(s.unchanged)} unchanged), ${number(s.variants)} variants, ${number(s.error_rows)} rows with problems.`
      : `${Math.round((run.progress ?? 0) * 100)}% read (${number(run.bytes_done)} of ${number(run.bytes_total)} bytes).`}</p>
    ${run.error && html`<p role="alert" class="error">The import stopped: ${run.error}</p>`}
    ${run.problems?.length > 0 && html`<div class="table-scroll"><table class="problems">
      <caption>Problems (${number(run.problem_count)}${run.problem_count > run.problems.length ? `, the first ${run.problems.length} shown` : ''})</caption>
      <thead><tr><th scope="col" class="num">Line</th><th scope="col">Handle</th><th scope="col">Field</th><th scope="col">Problem</th></tr></thead>
      <tbody>${run.problems.map((p) => html`<tr><td class="num">${p.line}</td><td>${p.handle || ''}</td><td>${p.field || ''}</td><td>${p.message}</td></tr>`)}</tbody>
    </table></div>`}
  </div>`;
}

export function Imports() {
  const [run, setRun] = useState(null);
  const [notice, setNotice] = useState(null);
  useEffect(() => {
    if (!run || run.state === 'done' || run.state === 'failed') return undefined;
    const t = setTimeout(() => api(`/admin/imports/${encodeURIComponent(run.id)}`).then(setRun).catch((e) => setNotice({ error: e.message })), POLL_MS);
    return () => clearTimeout(t);
  }, [run]);
  const start = async (e) => {
    e.preventDefault();
    const file = new FormData(e.currentTarget).get('file');
    if (!file || !file.size) { setNotice({ error: 'Choose a CSV file first.' }); return; }
    try {
      setRun(await api('/admin/imports', { method: 'POST', raw: file, type: 'text/csv' }));
      setNotice({ ok: `${file.name} is being imported.` });
    } catch (err) {
      setNotice({ error: err.details.length ? `${err.message} ${err.details.map((d) => `${d.field} ${d.message}`).join('; ')}` : err.message });
    }
  };
  const exportCsv = async () => {
    try {
      const blob = await download('/admin/exports/products', 'text/csv');
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = 'products.csv';
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      setNotice({ ok: `The export is downloaded (${number(blob.size)} bytes).` });
    } catch (err) {
      setNotice({ error: err.message });
    }
  };
  return html`<section aria-labelledby="import-title">
    <div class="page-head"><h1 id="import-title">Import and export</h1><a href="#/products">Products</a></div>
    <${Notice} notice=${notice} />
    <h2>Import a Shopify product CSV</h2>
    <p class="muted">Rows with the same Handle make one product; a product already here is updated, and a file imported twice changes nothing the second time.</p>
    <form class="inline" onSubmit=${start}>
      <label>CSV file <input name="file" type="file" accept=".csv,text/csv" required /></label>
      <button type="submit" disabled=${run && run.state !== 'done' && run.state !== 'failed'}>Import</button>
    </form>
    ${run && html`<${Progress} run=${run} />`}
    <h2>Export</h2>
    <p><button type="button" class="secondary" onClick=${exportCsv}>Download every product as a Shopify CSV</button></p>
  </section>`;
}
