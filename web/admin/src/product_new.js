// product_new.js — a new product from the products screen: title, status, category and brand,
// its first variant (SKU, name, price in the store currency) and its stock in one warehouse;
// and another variant on a product's screen. Through the catalog and inventory APIs (each call
// audited there); a refused field is named next to the form.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { minorDigits } from './format.js';

// "field: message" of the API's first problem, or its message.
const why = (err) => (err.details?.length ? `${err.details[0].field}: ${err.details[0].message}` : err.message);

// The category tree as [id, "Parent › Child"] pairs.
function flatten(nodes, prefix = '', out = []) {
  for (const c of nodes || []) {
    const name = prefix ? `${prefix} › ${c.name}` : c.name;
    out.push([c.id, name]);
    flatten(c.children, name, out);
  }
  return out;
}

// A notice for the product screen the new product opens on.
export const flash = { text: null };

const toMinor = (text, currency) => Math.round(Number(text) * 10 ** minorDigits(currency));

// The choices the forms need: the store currency, categories, brands and warehouses.
function useChoices() {
  const [c, setC] = useState(null);
  useEffect(() => {
    Promise.all([api('/currencies'), api('/categories'), api('/brands'), api('/warehouses')])
      .then(([cur, cats, brands, whs]) => setC({ currency: cur.base.code, categories: flatten(cats.data), brands: brands.data, warehouses: whs.data || [] }))
      .catch((e) => setC({ error: e.message }));
  }, []);
  return c;
}

export function ProductCreate({ onClose }) {
  const choices = useChoices();
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  if (!choices) return html`<p role="status">Loading the form…</p>`;
  if (choices.error) return html`<p role="alert" class="error">${choices.error}</p>`;
  const { currency } = choices;
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const body = { title: f.get('title').trim(), status: f.get('status'),
      variants: [{ sku: f.get('sku').trim(), prices: [{ amount: toMinor(f.get('price'), currency), currency }] }] };
    if (f.get('variant_title').trim()) body.variants[0].title = f.get('variant_title').trim();
    if (f.get('category_id')) body.category_id = f.get('category_id');
    if (f.get('brand_id')) body.brand_id = f.get('brand_id');
    setBusy(true);
    setError(null);
    try {
      const p = await api('/products', { method: 'POST', body });
      const stock = Number(f.get('on_hand') || 0);
      if (stock > 0 && f.get('warehouse')) {
        try {
          await api(`/variants/${p.variants[0].id}/stock/${f.get('warehouse')}`, { method: 'PUT', body: { on_hand: stock, reason: 'initial stock' } });
        } catch (err) {
          flash.text = `The product was created, but its stock was not saved: ${why(err)}`;
          location.hash = `#/products/${p.id}`;
          return;
        }
      }
      flash.text = `${p.title} was created.`;
      location.hash = `#/products/${p.id}`;
    } catch (err) {
      setError(why(err));
    }
    setBusy(false);
  };
  return html`<form class="create" onSubmit=${submit} aria-labelledby="new-product-title">
    <h2 id="new-product-title">New product</h2>
    ${error && html`<p role="alert" class="error">${error}</p>`}
    <fieldset><legend>Product</legend>
      <label>Title <input name="title" required maxlength="200" /></label>
      <label>Status <select name="status"><option value="draft">draft</option><option value="active">active</option></select></label>
      <label>Category <select name="category_id"><option value="">none</option>${choices.categories.map(([id, name]) => html`<option value=${id}>${name}</option>`)}</select></label>
      <label>Brand <select name="brand_id"><option value="">none</option>${choices.brands.map((b) => html`<option value=${b.id}>${b.name}</option>`)}</select></label>
    </fieldset>
    <fieldset><legend>First variant</legend>
      <label>SKU <input name="sku" required maxlength="64" /></label>
      <label>Variant name (optional) <input name="variant_title" maxlength="200" /></label>
      <label>Price in ${currency} <input name="price" type="number" min="0" step=${10 ** -minorDigits(currency)} required /></label>
      ${choices.warehouses.length > 0 && html`<label>Warehouse <select name="warehouse">${choices.warehouses.map((w) => html`<option value=${w.id}>${w.name}</option>`)}</select></label>
        <label>Stock on hand <input name="on_hand" type="number" min="0" step="1" value="0" /></label>`}
    </fieldset>
    <div class="action"><button type="submit" disabled=${busy}>Create the product</button>
      <button type="button" onClick=${onClose}>Cancel</button></div>
  </form>`;
}

export function VariantCreate({ product, onCreated, onNotice }) {
  const [currency, setCurrency] = useState(product.variants[0]?.prices[0]?.currency || null);
  useEffect(() => { if (!currency) api('/currencies').then((c) => setCurrency(c.base.code)).catch(() => {}); }, []);
  if (!currency) return null;
  const submit = async (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const f = new FormData(form);
    const body = { sku: f.get('sku').trim(), prices: [{ amount: toMinor(f.get('price'), currency), currency }] };
    if (f.get('variant_title').trim()) body.title = f.get('variant_title').trim();
    try {
      const v = await api(`/products/${product.id}/variants`, { method: 'POST', body });
      form.reset();
      onNotice({ ok: `Variant ${v.sku} added.` });
      onCreated();
    } catch (err) {
      onNotice({ error: `New variant: ${why(err)}` });
    }
  };
  return html`<form class="action" onSubmit=${submit} aria-label="Add a variant">
    <label>SKU <input name="sku" required maxlength="64" /></label>
    <label>Variant name <input name="variant_title" maxlength="200" /></label>
    <label>Price in ${currency} <input name="price" type="number" min="0" step=${10 ** -minorDigits(currency)} required /></label>
    <button type="submit">Add the variant</button>
  </form>`;
}
