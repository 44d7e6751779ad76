// reviews.js — the moderation queue: reviews by state with their rating, text and
// sentiment; approve or reject with a note (docs/reviews.md). Only approved
// reviews are public and count in a product's rating.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { Notice } from './ui.js';
import { api, qs } from './api.js';
import { dateTime } from './format.js';

const STATES = ['pending', 'approved', 'rejected'];

export function Reviews() {
  const [status, setStatus] = useState('pending');
  const [page, setPage] = useState(null);
  const [notice, setNotice] = useState(null);
  const load = () => api(`/admin/reviews${qs({ status, limit: 50 })}`).then(setPage).catch((e) => setNotice({ error: e.message }));
  useEffect(() => { setPage(null); load(); }, [status]);
  const decide = (r, to) => async (e) => {
    e.preventDefault();
    const note = new FormData(e.currentTarget.form || e.currentTarget).get('note')?.trim();
    try {
      await api(`/admin/reviews/${encodeURIComponent(r.id)}/moderation`, { method: 'POST', body: note ? { status: to, note } : { status: to } });
      setNotice({ ok: `Review ${r.id}: ${to}.` });
      load();
    } catch (err) {
      setNotice({ error: `Review ${r.id}: ${err.message}` });
    }
  };
  return html`<section aria-labelledby="reviews-title">
    <div class="page-head"><h1 id="reviews-title">Reviews</h1>
      <label>State <select value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>
        ${STATES.map((s) => html`<option value=${s}>${s}</option>`)}</select></label></div>
    <${Notice} notice=${notice} />
    ${page === null ? html`<p role="status">Loading reviews…</p>` : page.data.length === 0 ? html`<p>No ${status} reviews.</p>` : html`
      <p class="muted">${page.total} ${status} review${page.total === 1 ? '' : 's'}, oldest first.</p>
      <ul class="review-queue">${page.data.map((r) => html`<li class="review-item">
        <p><strong>${'★'.repeat(r.rating)}${'☆'.repeat(5 - r.rating)}</strong> <span class="visually-hidden">${r.rating} out of 5</span>
          ${r.title || html`<em>no title (erased)</em>`} <small class="muted">on <a href=${`#/products/${r.product_id}`}>${r.product_id}</a>, ${dateTime(r.created_at)}, order ${r.order_id || '–'}</small></p>
        ${r.body && html`<p class="review-text">${r.body}</p>`}
        <p class="muted">Sentiment: ${r.sentiment.label} (${r.sentiment.score.toFixed(2)})${r.moderation?.note ? ` · note: ${r.moderation.note}` : ''}</p>
        <form class="inline" onSubmit=${decide(r, 'approved')}>
          <label>Note <input name="note" maxlength="500" /></label>
          ${r.status !== 'approved' && html`<button type="submit">Approve</button>`}
          ${r.status !== 'rejected' && html`<button type="button" class="danger" onClick=${decide(r, 'rejected')}>Reject</button>`}
        </form></li>`)}</ul>`}
  </section>`;
}
