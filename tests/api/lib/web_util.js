// A browser-like client for the storefront's HTML pages (tests/api/web.test.js,
// tests/browser/): a cookie jar, form posts as application/x-www-form-urlencoded,
// redirects followed by hand so the tests see each 303.
import assert from 'node:assert/strict';
import { api } from './client.js';
import { token } from './util.js';

export class Browser {
  constructor(srv) {
    this.srv = srv;
    this.jar = new Map();
  }

  cookieHeader() {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  remember(res) {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      if (/Max-Age=0/i.test(c) || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }

  /** GET PATH; resolves {status, headers, text, location}. */
  async get(path, headers = {}) {
    const res = await fetch(this.srv.url + path, { redirect: 'manual', headers: { cookie: this.cookieHeader(), ...headers } });
    this.remember(res);
    return { status: res.status, headers: res.headers, text: await res.text(), location: res.headers.get('location') };
  }

  /** POST FIELDS (an object) as a form to PATH; resolves {status, headers, text, location}. */
  async post(path, fields, headers = {}) {
    const res = await fetch(this.srv.url + path, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
    this.remember(res);
    return { status: res.status, headers: res.headers, text: await res.text(), location: res.headers.get('location') };
  }
}

/** The value attribute of the first <input name=NAME> in HTML (entities decoded). */
export function inputValue(html, name) {
  const m = new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`).exec(html) ||
    new RegExp(`<input[^>]*value="([^"]*)"[^>]*name="${name}"`).exec(html);
  return m ? decode(m[1]) : null;
}

export function decode(s) {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

/** Every <script type="application/ld+json"> body in HTML, parsed. */
export function jsonLd(html) {
  return [...html.matchAll(/<script type="application\/ld\+json">([\s\S]*?)<\/script>/g)].map((m) => JSON.parse(m[1]));
}

/** An active product titled TITLE with variants [{title, price, stock}] in warehouse WH. */
export async function webProduct(srv, wh, title, variants, extra = {}) {
  const r = await api(srv, 'POST', '/api/v1/products', {
    key: true,
    body: {
      title, status: 'active', ...extra,
      variants: variants.map((v) => ({ sku: `W-${token()}`.slice(0, 60), title: v.title, prices: [{ amount: v.price, currency: 'USD' }] })),
    },
  });
  assert.equal(r.status, 201, r.text);
  for (const [i, v] of r.body.variants.entries()) {
    if (v && variants[i].stock > 0) {
      const s = await api(srv, 'PUT', `/api/v1/variants/${v.id}/stock/${wh.id}`, { key: true, body: { on_hand: variants[i].stock, reason: 'web test' } });
      assert.equal(s.status, 200, s.text);
    }
  }
  return r.body;
}

export const HOSTILE = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> "Evil' & Co`;
