// products.js — the catalog for staff: products by status, 25 a page, and a new one
// (product_new.js); one product's title and status, each variant's prices and its stock in
// every warehouse, edited, and another variant added, through the catalog and inventory APIs
// (each change audited there).
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { Notice, Pager } from './ui.js';
import { api, qs, can } from './api.js';
import { money, minorDigits, dateTime } from './format.js';
import { ProductForecast } from './product_forecast.js';
import { ProductCreate, VariantCreate, flash } from './product_new.js';

export function ProductList() {
  const [status, setStatus] = useState('any');
  const [cursor, setCursor] = useState(null);
  const [page, setPage] = useState(null);
  const [error, setError] = useState(null);
  const [creating, setCreating] = useState(false);
  useEffect(() => {
    setPage(null);
    api(`/products${qs({ status, limit: 25, cursor })}`).then(setPage).catch((e) => setError(e.message));
  }, [status, cursor]);
  return html`<section aria-labelledby="products-title">
    <div class="page-head"><h1 id="products-title">Products</h1>
      <a href="#/import">Import and export (CSV)</a>
      ${!creating && html`<button type="button" onClick=${() => setCreating(true)}>New product</button>`}
      <label>Status <select value=${status} onChange=${(e) => { setCursor(null); setStatus(e.currentTarget.value); }}>
        ${['any', 'active', 'draft', 'archived'].map((s) => html`<option value=${s}>${s}</option>`)}
      </select></label></div>
    ${creating && html`<${ProductCreate} onClose=${() => setCreating(false)} />`}
    ${error && html`<p role="alert" class="error">${error}</p>`}
    ${page === null ? html`<p role="status">Loading products…</p>` : page.data.length === 0 ? html`<p>No product.</p>` : html`
      <div class="table-scroll"><table class="products">
        <thead><tr><th scope="col">Product</th><th scope="col">Status</th><th scope="col">Vendor</th><th scope="col" class="num">From</th><th scope="col">Updated</th></tr></thead>
        <tbody>${page.data.map((p) => html`<tr><td><a href=${`#/products/${p.id}`}>${p.title}</a></td><td>${p.status}</td>
          <td>${p.vendor?.name || ''}</td><td class="num">${p.price ? money(p.price.amount, p.price.currency) : '–'}</td><td>${dateTime(p.updated_at)}</td></tr>`)}</tbody>
      </table></div>`}
    <${Pager} cursor=${cursor} next=${page?.next_cursor} onPage=${setCursor} />
  </section>`;
}

function Stock({ variant, onNotice }) {
  const [stock, setStock] = useState(null);
  const load = () => api(`/variants/${variant.id}/stock`).then(setStock).catch((e) => onNotice({ error: e.message }));
  useEffect(() => { load(); }, [variant.id]);
  if (!stock) return html`<p role="status">Loading stock…</p>`;
  const save = (wh) => async (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    try {
      await api(`/variants/${variant.id}/stock/${wh.warehouse.id}`, { method: 'PUT', body: { on_hand: Number(f.get('on_hand')), reason: f.get('reason') } });
      onNotice({ ok: `Stock of ${variant.sku} in ${wh.warehouse.name}: saved.` });
      load();
    } catch (err) {
      onNotice({ error: `Stock of ${variant.sku}: ${err.message}` });
    }
  };
  if (!stock.warehouses.length) return html`<p>Not stocked in any warehouse.</p>`;
  return html`<ul class="stock">${stock.warehouses.map((wh) => html`<li>
    <form class="action" onSubmit=${save(wh)}>
      <span>${wh.warehouse.name}: ${wh.available} available, ${wh.reserved} reserved${wh.low_stock ? html` <strong class="error">low</strong>` : ''}</span>
      <label>On hand <input name="on_hand" type="number" min="0" step="1" value=${wh.on_hand} required /></label>
      <label>Reason <input name="reason" maxlength="200" required value="stock count" /></label>
      <button type="submit">Save stock</button>
    </form></li>`)}</ul>`;
}

export function ProductDetail({ id }) {
  const [p, setP] = useState(null);
  const [notice, setNotice] = useState(() => {
    const text = flash.text;
    flash.text = null;
    return text ? { ok: text } : null;
  });
  const load = () => api(`/products/${encodeURIComponent(id)}`).then(setP).catch((e) => setNotice({ error: e.message }));
  useEffect(() => { setP(null); load(); }, [id]);
  if (!p) return html`<section><h1>Product</h1>${notice?.error ? html`<p role="alert" class="error">${notice.error}</p>` : html`<p role="status">Loading…</p>`}</section>`;

  const saveProduct = async (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    try {
      setP(await api(`/products/${p.id}`, { method: 'PATCH', body: { title: f.get('title'), status: f.get('status') } }));
      setNotice({ ok: 'Product saved.' });
    } catch (err) {
      setNotice({ error: err.message });
    }
  };
  const savePrice = (v, currency) => async (e) => {
    e.preventDefault();
    const amount = Math.round(Number(new FormData(e.currentTarget).get('amount')) * 10 ** minorDigits(currency));
    try {
      await api(`/variants/${v.id}/prices/${currency}`, { method: 'PUT', body: { amount } });
      setNotice({ ok: `Price of ${v.sku} in ${currency}: saved.` });
      load();
    } catch (err) {
      setNotice({ error: `Price of ${v.sku}: ${err.message}` });
    }
  };
  return html`<section aria-labelledby="product-title">
    <div class="page-head"><h1 id="product-title">${p.title}</h1><a href="#/products">All products</a></div>
    <${Notice} notice=${notice} />
    <form class="action" onSubmit=${saveProduct}>
      <label>Title <input name="title" required maxlength="200" value=${p.title} /></label>
      <label>Status <select name="status" value=${p.status}>${['draft', 'active', 'archived'].map((s) => html`<option value=${s}>${s}</option>`)}</select></label>
      <button type="submit">Save product</button>
    </form>
    <h2>Variants</h2>
    ${p.variants.map((v) => html`<article class="variant" aria-label=${`Variant ${v.sku}`}>
      <h3>${v.sku}${v.title ? ` — ${v.title}` : ''} <small>${v.status}</small></h3>
      ${v.prices.map((m) => html`<form class="action" onSubmit=${savePrice(v, m.currency)}>
        <label>Price in ${m.currency} <input name="amount" type="number" min="0" step=${10 ** -minorDigits(m.currency)} required
          value=${(m.amount / 10 ** minorDigits(m.currency)).toFixed(minorDigits(m.currency))} /></label>
        <span class="muted">now ${money(m.amount, m.currency)}</span>
        <button type="submit">Save price</button>
      </form>`)}
      <${Stock} variant=${v} onNotice=${setNotice} />
    </article>`)}
    <h3>Add a variant</h3>
    <${VariantCreate} product=${p} onCreated=${load} onNotice=${setNotice} />
    ${can('analytics:read') && html`<h2>Demand forecast</h2><${ProductForecast} id=${p.id} />`}
  </section>`;
}
