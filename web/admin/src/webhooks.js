// webhooks.js — outgoing webhooks: the subscriptions (create, with the secret shown
// once; switch on and off), each one's delivery log, and replaying a delivery
// (webhooks:manage; docs/webhooks.md).
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, qs } from './api.js';
import { Notice, Pager } from './ui.js';
import { dateTime } from './format.js';

const TYPES = ['order.placed', 'order.paid', 'order.cancelled', 'order.partially_fulfilled', 'order.fulfilled', 'order.shipped',
  'order.delivered', 'order.refunded', 'order.return_requested', 'order.return_received', 'stock.changed', 'inventory.low_stock'];

function Deliveries({ sub, onNotice }) {
  const [cursor, setCursor] = useState(null);
  const [page, setPage] = useState(null);
  const load = () => api(`/admin/webhooks/${sub.id}/deliveries${qs({ limit: 20, cursor })}`).then(setPage).catch((e) => onNotice({ error: e.message }));
  useEffect(() => { load(); }, [sub.id, cursor]);
  const replay = async (d) => {
    try {
      await api(`/admin/webhook-deliveries/${d.id}/replay`, { method: 'POST' });
      onNotice({ ok: `Delivery ${d.id} will be sent again.` });
      load();
    } catch (e) {
      onNotice({ error: `Replay: ${e.message}` });
    }
  };
  if (!page) return html`<p role="status">Loading deliveries…</p>`;
  if (!page.data.length) return html`<p>No delivery yet.</p>`;
  return html`<div class="table-scroll"><table class="deliveries">
      <thead><tr><th scope="col">Delivery</th><th scope="col">Event</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Last answer</th><th scope="col">Updated</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
      <tbody>${page.data.map((d) => html`<tr><td>${d.id}</td><td>${d.event_type}</td><td>${d.status}</td><td>${d.attempts}</td>
        <td>${d.last_response_code ?? ''}${d.last_error ? ` ${d.last_error}` : ''}</td><td>${dateTime(d.updated_at)}</td>
        <td>${d.status !== 'pending' && html`<button type="button" onClick=${() => replay(d)}>Replay</button>`}</td></tr>`)}</tbody>
    </table></div>
    <${Pager} cursor=${cursor} next=${page.next_cursor} onPage=${setCursor} />`;
}

export function Webhooks() {
  const [subs, setSubs] = useState(null);
  const [open, setOpen] = useState(null);
  const [notice, setNotice] = useState(null);
  const [secret, setSecret] = useState(null);
  const load = () => api('/admin/webhooks').then((r) => setSubs(r.data)).catch((e) => setNotice({ error: e.message }));
  useEffect(() => { load(); }, []);

  const create = async (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    try {
      const s = await api('/admin/webhooks', { method: 'POST', body: { url: f.get('url').trim(), event_types: f.getAll('event_types'), description: f.get('description') || undefined } });
      setSecret({ url: s.url, secret: s.secret });
      setNotice({ ok: 'Subscription created.' });
      load();
    } catch (err) {
      setNotice({ error: err.message + (err.details.length ? ` (${err.details.map((d) => `${d.field}: ${d.message}`).join('; ')})` : '') });
    }
  };
  const toggle = async (s) => {
    try {
      await api(`/admin/webhooks/${s.id}`, { method: 'PATCH', body: { enabled: !s.enabled } });
      setNotice({ ok: `${s.url}: ${s.enabled ? 'switched off' : 'switched on'}.` });
      load();
    } catch (err) {
      setNotice({ error: err.message });
    }
  };

  return html`<section aria-labelledby="webhooks-title">
    <div class="page-head"><h1 id="webhooks-title">Outgoing webhooks</h1></div>
    <${Notice} notice=${notice} />
    ${secret && html`<p class="secret" role="note">The signing secret of ${secret.url} — shown only now, keep it in your receiver: <code>${secret.secret}</code></p>`}
    <form class="webhook-new" onSubmit=${create}>
      <h2>New subscription</h2>
      <label>URL <input name="url" type="url" required maxlength="2048" placeholder="https://erp.example.com/souk" /></label>
      <label>Description <input name="description" maxlength="200" /></label>
      <fieldset><legend>Events</legend>
        ${TYPES.map((t) => html`<label class="check"><input type="checkbox" name="event_types" value=${t} /> ${t}</label>`)}
      </fieldset>
      <button type="submit">Create subscription</button>
    </form>
    <h2>Subscriptions</h2>
    ${subs === null ? html`<p role="status">Loading subscriptions…</p>` : subs.length === 0 ? html`<p>No subscription yet.</p>` : html`
      <div class="table-scroll"><table class="webhooks">
        <thead><tr><th scope="col">URL</th><th scope="col">Events</th><th scope="col">State</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>${subs.map((s) => html`<tr data-webhook=${s.id}><td>${s.url}${s.description ? html`<br /><small>${s.description}</small>` : ''}</td>
          <td>${s.event_types.join(', ')}</td>
          <td>${s.enabled ? 'on' : `off${s.disabled_reason ? ` (${s.disabled_reason})` : ''}`}${s.failed_deliveries ? `, ${s.failed_deliveries} failed in a row` : ''}</td>
          <td><button type="button" onClick=${() => toggle(s)}>${s.enabled ? 'Switch off' : 'Switch on'}</button>
            <button type="button" aria-expanded=${open === s.id} onClick=${() => setOpen(open === s.id ? null : s.id)}>Deliveries</button></td></tr>`)}</tbody>
      </table></div>`}
    ${open && subs?.find((s) => s.id === open) && html`<h2>Deliveries to ${subs.find((s) => s.id === open).url}</h2>
      <${Deliveries} sub=${subs.find((s) => s.id === open)} onNotice=${setNotice} />`}
  </section>`;
}
