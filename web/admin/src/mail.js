// mail.js — the mail outbox: what souk sent or will send, newest first, with its
// delivery state (docs/orders.md "E-mails"; permission mail:read — the outbox
// holds password-reset codes while they are valid).
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { Pager } from './ui.js';
import { api, qs } from './api.js';
import { dateTime } from './format.js';

export function Mail() {
  const [cursor, setCursor] = useState(null);
  const [page, setPage] = useState(null);
  const [open, setOpen] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => { setPage(null); api(`/admin/mail${qs({ limit: 25, cursor })}`).then(setPage).catch((e) => setError(e.message)); }, [cursor]);
  return html`<section aria-labelledby="mail-title">
    <div class="page-head"><h1 id="mail-title">Mail outbox</h1></div>
    ${error && html`<p role="alert" class="error">${error}</p>`}
    ${page === null ? !error && html`<p role="status">Loading mail…</p>` : page.data.length === 0 ? html`<p>No mail yet.</p>` : html`
      <div class="table-scroll"><table>
        <thead><tr><th scope="col">To</th><th scope="col">Subject</th><th scope="col">State</th><th scope="col">Queued</th><th scope="col"><span class="visually-hidden">Text</span></th></tr></thead>
        <tbody>${page.data.map((m) => html`<tr><td>${m.to}</td><td>${m.subject}</td><td>${m.state || m.status || ''}</td><td>${dateTime(m.created_at)}</td>
          <td><button type="button" class="secondary" aria-expanded=${open === m.id} onClick=${() => setOpen(open === m.id ? null : m.id)}>${open === m.id ? 'Hide' : 'Show'} the text</button></td></tr>
          ${open === m.id && html`<tr><td colspan="5"><pre class="mail-body">${m.body || m.text || ''}</pre></td></tr>`}`)}</tbody>
      </table></div>`}
    <${Pager} cursor=${cursor} next=${page?.next_cursor} onPage=${setCursor} first="Newest" more="Older" />
  </section>`;
}
