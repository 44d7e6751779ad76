// customers.js — customers for staff. The list: accounts with the customer role, by e-mail
// (users:manage), and beside it the most valuable by expected lifetime value (BG/NBD +
// Gamma-Gamma, next 365 days) and the likeliest to churn (next 90 days, with the model's AUC on
// its time split), from the analytics API (docs/analytics.md). Each customer links to their page.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, qs, can } from './api.js';
import { Pager } from './ui.js';
import { money, number, percent, dateTime } from './format.js';

const link = (id) => html`<a href=${`#/customers/${id}`}>${id}</a>`;

function Accounts() {
  const [email, setEmail] = useState('');
  const [cursor, setCursor] = useState(null);
  const [page, setPage] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    setPage(null);
    api(`/admin/users${qs({ role: 'customer', email, limit: 25, cursor })}`).then(setPage).catch((e) => setError(e.message));
  }, [email, cursor]);
  const submit = (e) => {
    e.preventDefault();
    setCursor(null);
    setEmail(new FormData(e.currentTarget).get('email').trim());
  };
  return html`<h2>Accounts</h2>
    <form class="filters" onSubmit=${submit} role="search" aria-label="Find a customer">
      <label>E-mail <input name="email" type="search" maxlength="254" /></label>
      <button type="submit">Find</button>
    </form>
    ${error && html`<p role="alert" class="error">${error}</p>`}
    ${page === null ? html`<p role="status">Loading customers…</p>` : page.data.length === 0 ? html`<p>No customer matches.</p>` : html`
      <div class="table-scroll"><table class="customers">
        <thead><tr><th scope="col">Customer</th><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Since</th></tr></thead>
        <tbody>${page.data.map((u) => html`<tr><td><a href=${`#/customers/${u.id}`}>${u.email || u.id}</a></td><td>${u.name}</td><td>${u.status}</td><td>${dateTime(u.created_at)}</td></tr>`)}</tbody>
      </table></div>`}
    <${Pager} cursor=${cursor} next=${page?.next_cursor} onPage=${setCursor} />`;
}

function Scores() {
  const [s, setS] = useState(null);
  useEffect(() => {
    Promise.all([api(`/admin/analytics/clv${qs({ limit: 20 })}`), api(`/admin/analytics/churn${qs({ limit: 20 })}`)])
      .then(([clv, churn]) => setS({ clv, churn }))
      .catch((e) => setS({ error: e.message }));
  }, []);
  if (!s) return html`<p role="status">Loading scores…</p>`;
  if (s.error) return html`<p role="alert" class="error">${s.error}</p>`;
  const { clv, churn } = s;
  return html`<h2>Most valuable</h2>
    <p class="muted">Expected purchases and spend over the next 365 days for ${number(clv.customers)} customers${clv.currency ? `, in ${clv.currency}` : ''}: ${money(clv.expected_value, clv.currency)} in all.</p>
    ${clv.rows.length === 0 ? html`<p>No customer has bought yet.</p>` : html`<div class="table-scroll"><table class="clv">
      <thead><tr><th scope="col">Customer</th><th scope="col" class="num">Repeat days</th><th scope="col" class="num">Still active</th><th scope="col" class="num">Expected purchases</th><th scope="col" class="num">Expected value</th></tr></thead>
      <tbody>${clv.rows.map((r) => html`<tr><td>${link(r.customer)}</td><td class="num">${r.frequency}</td><td class="num">${percent(r.p_alive)}</td>
        <td class="num">${r.expected_purchases?.toFixed(2) ?? '–'}</td><td class="num">${money(r.expected_value, clv.currency)}</td></tr>`)}</tbody>
    </table></div>`}
    <h2>Likeliest to churn</h2>
    <p class="muted">The chance of buying nothing in the next ${churn.horizon_days ?? 90} days${churn.auc !== undefined && churn.auc !== null ? ` (the model's AUC on its time split: ${churn.auc.toFixed(3)})` : ''}.</p>
    ${churn.rows.length === 0 ? html`<p>Not enough history to score churn yet.</p>` : html`<div class="table-scroll"><table class="churn">
      <thead><tr><th scope="col">Customer</th><th scope="col" class="num">Churn risk</th><th scope="col" class="num">Days since last purchase</th><th scope="col" class="num">Orders</th></tr></thead>
      <tbody>${churn.rows.map((r) => html`<tr><td>${link(r.customer)}</td><td class="num">${percent(r.churn_probability)}</td><td class="num">${r.recency_days}</td><td class="num">${r.frequency}</td></tr>`)}</tbody>
    </table></div>`}`;
}

export function Customers() {
  return html`<section aria-labelledby="customers-title">
    <div class="page-head"><h1 id="customers-title">Customers</h1></div>
    ${can('users:manage') && html`<${Accounts} />`}
    ${can('analytics:read') && html`<${Scores} />`}
  </section>`;
}

export { CustomerDetail } from './customer.js';
