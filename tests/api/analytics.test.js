// Analytics over HTTP (docs/analytics.md): a paid checkout is in the KPIs
// within a second (read from the in-memory facts the outbox keeps current),
// a vendor reads only their own numbers, CSV is the JSON's rows, bad
// parameters answer 400 with the standard body, a key with the scope reads.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, ADMIN_EMAIL, ADMIN_PASSWORD } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { loginOk } from './lib/auth_util.js';
import { ADDRESS, must, warehouse, product, customerWithCart, checkout, eventually, vendor, vendorUser } from './lib/orders_util.js';

const CARD = '4242424242424242';
const kpi = (body, name) => body.current[name];

/** Parses CSV TEXT (CRLF, quoted text fields, no embedded newlines) into objects. */
function parseCsv(text) {
  const lines = text.split('\r\n').filter((l) => l.length);
  const cells = (l) => {
    const out = [];
    for (let i = 0; i <= l.length;) {
      if (l[i] === '"') {
        let j = i + 1, s = '';
        for (; j < l.length; j++) {
          if (l[j] === '"' && l[j + 1] === '"') { s += '"'; j++; } else if (l[j] === '"') break; else s += l[j];
        }
        out.push({ text: s });
        i = j + 2;
      } else {
        const j = l.indexOf(',', i) === -1 ? l.length : l.indexOf(',', i);
        out.push(l.slice(i, j));
        i = j + 1;
      }
    }
    return out;
  };
  const head = cells(lines[0]);
  return lines.slice(1).map((l) => Object.fromEntries(cells(l).map((c, i) => [head[i], c])));
}

/** Asserts CSV row C holds JSON row J's values. */
function sameRow(c, j, where) {
  for (const [k, v] of Object.entries(j)) {
    const cell = c[k];
    if (v === null) assert.equal(cell, '', `${where}.${k}`);
    else if (typeof v === 'string') assert.equal(cell.text, v, `${where}.${k}`);
    else if (typeof v === 'number') assert.ok(Math.abs(Number(cell) - v) < 1e-9, `${where}.${k}: ${cell} vs ${v}`);
    else assert.equal(cell, String(v), `${where}.${k}`);
  }
}

describe('analytics over HTTP', () => {
  let srv, wh, vendA, vendB, userA, userB, pA, pB, p0;
  const admin = (path, opts = {}) => api(srv, 'GET', path, { key: true, ...opts });

  before(async () => {
    srv = await startServer({ env: { SOUK_RATE_LIMIT_IP: '0', SOUK_RATE_LIMIT_USER: '0' } });
    wh = await warehouse(srv);
    vendA = await vendor(srv);
    vendB = await vendor(srv);
    userA = await vendorUser(srv, vendA.id);
    userB = await vendorUser(srv, vendB.id);
    pA = await product(srv, { title: 'Vendor A lamp', vendorId: vendA.id, variants: [{ price: 1500, stock: 50 }], wh });
    pB = await product(srv, { title: 'Vendor B chair', vendorId: vendB.id, variants: [{ price: 2500, stock: 50 }], wh });
    p0 = await product(srv, { title: 'Shop mug', variants: [{ price: 1000, stock: 50 }], wh });
    // the first build runs at start: wait for it
    await eventually(async () => (await admin('/api/v1/admin/analytics/kpis')).status === 200, 'the first build', 10_000);
  });
  after(async () => { await srv?.stop(); });

  it('a paid checkout is in the KPIs within a second', async () => {
    const base = must(await admin('/api/v1/admin/analytics/kpis?currency=USD'), 200);
    assert.equal(kpi(base, 'orders'), 0);
    const buyer = await customerWithCart(srv, [[pA.variants[0].id, 2], [p0.variants[0].id, 1]]);
    must(await checkout(srv, buyer.who, { body: { shipping_address: ADDRESS, payment_method: CARD } }), 201);
    const body = await eventually(async () => {
      const b = must(await admin('/api/v1/admin/analytics/kpis?currency=USD'), 200);
      return kpi(b, 'orders') === 1 ? b : null;
    }, 'the order in the KPIs', 1000);
    assert.equal(body.currency, 'USD');
    assert.equal(kpi(body, 'gross_revenue'), 4000); // 2 × 1500 + 1000: line totals
    assert.equal(kpi(body, 'units'), 3);
    assert.equal(kpi(body, 'customers'), 1);
    assert.equal(kpi(body, 'new_customers'), 1);
    assert.equal(body.rows.find((r) => r.metric === 'orders').current, 1);
  });

  it('a vendor reads only their own numbers', async () => {
    const buyer = await customerWithCart(srv, [[pB.variants[0].id, 1]]);
    must(await checkout(srv, buyer.who, { body: { shipping_address: ADDRESS, payment_method: CARD } }), 201);
    await eventually(async () => kpi(must(await admin('/api/v1/admin/analytics/kpis?currency=USD'), 200), 'orders') === 2,
      'the second order', 5000);
    const a = must(await api(srv, 'GET', '/api/v1/admin/analytics/kpis?currency=USD', { key: userA.key }), 200);
    assert.equal(kpi(a, 'gross_revenue'), 3000);
    assert.equal(kpi(a, 'orders'), 1);
    assert.equal(kpi(a, 'visitors'), null); // the store's traffic is not a vendor's
    const b = must(await api(srv, 'GET', '/api/v1/admin/analytics/kpis?currency=USD', { key: userB.key }), 200);
    assert.equal(kpi(b, 'gross_revenue'), 2500);
    // naming the other vendor does not widen the slice
    expectError(await api(srv, 'GET', `/api/v1/admin/analytics/kpis?vendor=${vendB.id}`, { key: userA.key }), 403, 'FORBIDDEN');
    const own = must(await api(srv, 'GET', `/api/v1/admin/analytics/timeseries?vendor=${vendA.id}&currency=USD`, { key: userA.key }), 200);
    assert.equal(own.rows.reduce((s, r) => s + r.gross_revenue, 0), 3000);
    const clvB = must(await api(srv, 'GET', '/api/v1/admin/analytics/clv?currency=USD', { key: userB.key }), 200);
    assert.equal(clvB.customers, 1); // vendor B's one buyer
    for (const path of ['cohorts', 'rfm']) {
      const r = must(await api(srv, 'GET', `/api/v1/admin/analytics/${path}?currency=USD`, { key: userB.key }), 200);
      const revenue = path === 'rfm' ? r.rows.reduce((s, x) => s + x.monetary, 0) : r.rows.reduce((s, x) => s + x.revenue, 0);
      assert.equal(revenue, 2500, path);
    }
    expectError(await api(srv, 'GET', '/api/v1/admin/analytics/funnel', { key: userA.key }), 403, 'FORBIDDEN');
    // the admin sees both, and each vendor's slice on request
    const all = must(await admin(`/api/v1/admin/analytics/kpis?currency=USD&vendor=${vendB.id}`), 200);
    assert.equal(kpi(all, 'gross_revenue'), 2500);
    assert.equal(kpi(must(await admin('/api/v1/admin/analytics/kpis?currency=USD'), 200), 'gross_revenue'), 6500);
  });

  it('CSV is the rows of the JSON, by format=csv and by Accept', async () => {
    for (const path of ['kpis?currency=USD', 'timeseries?currency=USD&granularity=week', 'funnel?per=session', 'cohorts?currency=USD', 'rfm?currency=USD', 'clv?currency=USD']) {
      // the read model may take in a late event (a purchase recorded as behaviour) between two
      // requests: compare answers read while it stood still (the JSON the same before and after)
      let j, byParam, byAccept;
      for (let attempt = 0; attempt < 10; attempt++) {
        j = must(await admin(`/api/v1/admin/analytics/${path}`), 200);
        byParam = await admin(`/api/v1/admin/analytics/${path}&format=csv`);
        byAccept = await admin(`/api/v1/admin/analytics/${path}`, { headers: { Accept: 'text/csv' } });
        const again = must(await admin(`/api/v1/admin/analytics/${path}`), 200);
        if (JSON.stringify(again.rows) === JSON.stringify(j.rows)) break;
        await new Promise((ok) => setTimeout(ok, 200));
      }
      for (const r of [byParam, byAccept]) {
        assert.equal(r.status, 200);
        assert.match(r.headers.get('content-type'), /^text\/csv/);
        assert.equal(r.text, byParam.text);
      }
      const rows = parseCsv(byParam.text);
      assert.equal(rows.length, j.rows.length, path);
      assert.ok(rows.length > 0, path);
      j.rows.forEach((row, i) => sameRow(rows[i], row, `${path} row ${i}`));
    }
  });

  it('a CSV page past the last row is an empty answer, cached and served again (the HTTP fuzzer found it crashing under UBSan)', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await admin('/api/v1/admin/analytics/segments?channel=import&offset=6882825&format=csv');
      assert.equal(r.status, 200, r.text);
      assert.match(r.headers.get('content-type'), /^text\/csv/);
      assert.equal(r.text, '', 'no rows');
    }
  });

  it('bad parameters answer 400 with the standard body', async () => {
    const cases = [
      ['kpis?from=2026-02-30', 'from'],
      ['kpis?from=2026-03-10&to=2026-03-01', 'from'],
      ['kpis?from=2000-01-01&to=2026-01-01', 'to'],
      ['kpis?currency=usd', 'currency'],
      ['kpis?category=prod_0000000000001', 'category'],
      ['kpis?channel=fax', 'channel'],
      ['kpis?granularity=day', 'granularity'], // not a parameter of the KPIs
      ['kpis?colour=red', 'colour'],
      ['timeseries?granularity=year', 'granularity'],
      ['funnel?steps=product_view', 'steps'],
      ['funnel?steps=product_view,teleport', 'steps'],
      ['funnel?steps=purchase,purchase', 'steps'],
      ['funnel?per=household', 'per'],
      ['rfm?limit=0', 'limit'],
      ['rfm?limit=10001', 'limit'],
      ['cohorts?format=xml', 'format'],
      ['segments?k=1', 'k'],
      ['segments?k=11', 'k'],
      ['rfm?k=3', 'k'],
      ['churn?horizon=3', 'horizon'],
      ['churn?from=2026-01-01', 'from'],
      ['clv?horizon=6', 'horizon'],
      ['clv?from=2026-01-01', 'from'],
      ['clv?k=3', 'k'],
    ];
    for (const [path, field] of cases) expectError(await admin(`/api/v1/admin/analytics/${path}`), 400, 'BAD_REQUEST', field);
  });

  it('an API key with analytics:read reads the reports; /metrics reports the memory', async () => {
    const adm = await loginOk(srv, ADMIN_EMAIL, ADMIN_PASSWORD);
    const k = must(await api(srv, 'POST', '/api/v1/api-keys', { key: adm.access_token, body: { name: 'analytics', scopes: ['analytics:read'] } }), 201);
    const r = must(await api(srv, 'GET', '/api/v1/admin/analytics/kpis?currency=USD', { key: k.key }), 200);
    assert.equal(kpi(r, 'orders'), 2);
    const f = must(await api(srv, 'GET', '/api/v1/admin/analytics/funnel', { key: k.key }), 200);
    assert.deepEqual(f.rows.map((x) => x.event), ['product_view', 'add_to_cart', 'checkout_started', 'purchase']);
    const seg = must(await api(srv, 'GET', '/api/v1/admin/analytics/segments?currency=USD', { key: k.key }), 200);
    assert.equal(seg.customers, 2);
    assert.equal(seg.k, null); // two customers are too few to split
    const churn = must(await api(srv, 'GET', '/api/v1/admin/analytics/churn?currency=USD&horizon=30', { key: k.key }), 200);
    assert.equal(churn.customers, 2);
    assert.equal(churn.horizon_days, 30);
    assert.equal(churn.rows.length, 2);
    assert.ok(churn.rows.every((r) => r.churn_probability >= 0 && r.churn_probability <= 1));
    const clv = must(await api(srv, 'GET', '/api/v1/admin/analytics/clv?currency=USD&horizon=180', { key: k.key }), 200);
    assert.equal(clv.customers, 2);
    assert.equal(clv.horizon_days, 180);
    assert.equal(clv.rows.length, 2);
    assert.ok(clv.rows.every((r) => r.frequency === 0 && r.age_days === 0 && r.mean_value === 0));
    const m = await eventually(async () => {
      const t = await fetch(`${srv.url}/metrics`).then((x) => x.text());
      return /^souk_analytics_rows\{table="order_lines"\} 3$/m.test(t) ? t : null;
    }, 'the gauges', 5000);
    assert.match(m, /^souk_analytics_ready 1$/m);
    assert.match(m, /^souk_analytics_rows\{table="order_lines"\} 3$/m);
    assert.match(m, /^souk_analytics_bytes_per_million_lines [1-9][0-9]*$/m);
  });
});
