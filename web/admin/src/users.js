// users.js — accounts for admins: filtered by role, status or e-mail; a role,
// vendor or status changed (users:manage; the API keeps the vendor rule and audits).
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { Notice, Pager } from './ui.js';
import { api, qs } from './api.js';
import { dateTime } from './format.js';

const ROLES = ['customer', 'vendor', 'inventory_manager', 'admin'];

function UserRow({ u, onSaved, onNotice }) {
  const save = async (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const body = { role: f.get('role'), status: f.get('status') };
    const vendor = f.get('vendor_id').trim();
    body.vendor_id = body.role === 'vendor' ? vendor || null : null;
    try {
      onSaved(await api(`/admin/users/${u.id}`, { method: 'PATCH', body }));
      onNotice({ ok: `${u.email}: saved.` });
    } catch (err) {
      onNotice({ error: `${u.email}: ${err.message}` });
    }
  };
  return html`<tr data-user=${u.id}>
    <td>${u.email}${u.name ? html`<br /><small>${u.name}</small>` : ''}</td>
    <td>${u.two_factor_enabled ? 'on' : 'off'}</td><td>${dateTime(u.created_at)}</td>
    <td><form class="action" onSubmit=${save} aria-label=${`Account ${u.email}`}>
      <label>Role <select name="role" value=${u.role}>${ROLES.map((r) => html`<option value=${r}>${r.replace('_', ' ')}</option>`)}</select></label>
      <label>Vendor <input name="vendor_id" maxlength="20" placeholder="vend_…" value=${u.vendor_id || ''} /></label>
      <label>Status <select name="status" value=${u.status}><option value="active">active</option><option value="disabled">disabled</option></select></label>
      <button type="submit">Save</button>
    </form></td></tr>`;
}

export function Users() {
  const [filter, setFilter] = useState({});
  const [cursor, setCursor] = useState(null);
  const [page, setPage] = useState(null);
  const [notice, setNotice] = useState(null);
  useEffect(() => {
    setPage(null);
    api(`/admin/users${qs({ ...filter, limit: 25, cursor })}`).then(setPage).catch((e) => setNotice({ error: e.message }));
  }, [filter, cursor]);
  const submit = (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setCursor(null);
    setFilter({ role: f.get('role'), status: f.get('status'), email: f.get('email').trim() });
  };
  const saved = (u) => setPage((p) => ({ ...p, data: p.data.map((x) => (x.id === u.id ? u : x)) }));
  return html`<section aria-labelledby="users-title">
    <div class="page-head"><h1 id="users-title">Users and roles</h1></div>
    <${Notice} notice=${notice} />
    <form class="filters" onSubmit=${submit}>
      <label>Role <select name="role"><option value="">any</option>${ROLES.map((r) => html`<option value=${r}>${r.replace('_', ' ')}</option>`)}</select></label>
      <label>Status <select name="status"><option value="">any</option><option value="active">active</option><option value="disabled">disabled</option></select></label>
      <label>E-mail <input name="email" type="search" maxlength="254" /></label>
      <button type="submit">Filter</button>
    </form>
    ${page === null ? html`<p role="status">Loading accounts…</p>` : page.data.length === 0 ? html`<p>No account matches.</p>` : html`
      <div class="table-scroll"><table class="users">
        <thead><tr><th scope="col">Account</th><th scope="col">2FA</th><th scope="col">Since</th><th scope="col">Role, vendor and status</th></tr></thead>
        <tbody>${page.data.map((u) => html`<${UserRow} key=${u.id} u=${u} onSaved=${saved} onNotice=${setNotice} />`)}</tbody>
      </table></div>`}
    <${Pager} cursor=${cursor} next=${page?.next_cursor} onPage=${setCursor} />
  </section>`;
}
