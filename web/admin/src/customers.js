// customers.js — customers for staff: the most valuable by expected lifetime value (BG/NBD +
// Gamma-Gamma, next 365 days) and the likeliest to churn (next 90 days, with the model's AUC on
// its time split), from the analytics API (docs/analytics.md).
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, qs } from './api.js';
import { money, number, percent } from './format.js';

export function Customers() {
  const [s, setS] = useState(null);
  useEffect(() => {
    Promise.all([api(`/admin/analytics/clv${qs({ limit: 20 })}`), api(`/admin/analytics/churn${qs({ limit: 20 })}`)])
      .then(([clv, churn]) => setS({ clv, churn }))
      .catch((e) => setS({ error: e.message }));
  }, []);
  if (!s) return html`<section><h1>Customers</h1><p role="status">Loading…</p></section>`;
  if (s.error) return html`<section><h1>Customers</h1><p role="alert" class="error">${s.error}</p></section>`;
  const { clv, churn } = s;
  return html`<section aria-labelledby="customers-title">
    <div class="page-head"><h1 id="customers-title">Customers</h1></div>
    <h2>Most valuable</h2>
    <p class="muted">Expected purchases and spend over the next 365 days for ${number(clv.customers)} customers${clv.currency ? `, in ${clv.currency}` : ''}: ${money(clv.expected_value, clv.currency)} in all.</p>
    ${clv.rows.length === 0 ? html`<p>No customer has bought yet.</p>` : html`<div class="table-scroll"><table class="clv">
      <thead><tr><th scope="col">Customer</th><th scope="col" class="num">Repeat days</th><th scope="col" class="num">Still active</th><th scope="col" class="num">Expected purchases</th><th scope="col" class="num">Expected value</th></tr></thead>
      <tbody>${clv.rows.map((r) => html`<tr><td>${r.customer}</td><td class="num">${r.frequency}</td><td class="num">${percent(r.p_alive)}</td>
        <td class="num">${r.expected_purchases.toFixed(2)}</td><td class="num">${money(r.expected_value, clv.currency)}</td></tr>`)}</tbody>
    </table></div>`}
    <h2>Likeliest to churn</h2>
    <p class="muted">The chance of buying nothing in the next ${churn.horizon ?? 90} days${churn.auc !== undefined && churn.auc !== null ? ` (the model's AUC on its time split: ${churn.auc.toFixed(3)})` : ''}.</p>
    ${churn.rows.length === 0 ? html`<p>Not enough history to score churn yet.</p>` : html`<div class="table-scroll"><table class="churn">
      <thead><tr><th scope="col">Customer</th><th scope="col" class="num">Churn risk</th><th scope="col" class="num">Days since last purchase</th><th scope="col" class="num">Orders</th></tr></thead>
      <tbody>${churn.rows.map((r) => html`<tr><td>${r.customer}</td><td class="num">${percent(r.churn_probability)}</td><td class="num">${r.recency_days}</td><td class="num">${r.frequency}</td></tr>`)}</tbody>
    </table></div>`}
  </section>`;
}
