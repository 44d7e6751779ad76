// Forecasts, reorder advice and anomalies over HTTP (docs/analytics.md): the
// answers come from what the analytics.predict job stored, so the first
// request finds nothing (empty, stale, the job queued) and a later one the
// job's result; forecast shapes and intervals, CSV that is the JSON's rows,
// a vendor's slice, the reorder arithmetic, bad parameters.
//
// History: checkouts on a server whose clock runs two days behind, and
// imported orders (souk import online-retail --orders) on each of the 70
// days before, so that the daily and weekly series have weeks to fit.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, runSouk } from './lib/server.js';
import { api, expectError } from './lib/client.js';
import { ADDRESS, must, warehouse, product, customerWithCart, checkout, eventually, vendor, vendorUser } from './lib/orders_util.js';

const CARD = '4242424242424242';
const DAY = 86400_000;
const iso = (ms) => new Date(ms).toISOString().slice(0, 10);

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

function sameRow(c, j, where) {
  for (const [k, v] of Object.entries(j)) {
    const cell = c[k];
    if (v === null) assert.equal(cell, '', `${where}.${k}`);
    else if (typeof v === 'string') assert.equal(cell.text, v, `${where}.${k}`);
    else if (typeof v === 'number') assert.ok(Math.abs(Number(cell) - v) < 1e-4 * Math.max(1, Math.abs(v)), `${where}.${k}: ${cell} vs ${v}`);
    else assert.equal(cell, String(v), `${where}.${k}`);
  }
}

describe('forecasts, reorder and anomalies over HTTP', () => {
  let srv, wh, vendA, vendB, userA, userB, pA, pB, before1;
  const admin = (p, opts = {}) => api(srv, 'GET', `/api/v1/admin/analytics/${p}`, { key: true, ...opts });
  const as = (user, p) => api(srv, 'GET', `/api/v1/admin/analytics/${p}`, { key: user.key });

  before(async () => {
    const env = { SOUK_RATE_LIMIT_IP: '0', SOUK_RATE_LIMIT_USER: '0' };
    const first = await startServer({ keepDir: true, env: { ...env, SOUK_TEST_CLOCK_OFFSET_S: String(-2 * 86400) } });
    srv = first;
    await eventually(async () => (await admin('kpis')).status === 200, 'the facts', 10_000);
    before1 = must(await admin('forecasts'), 200); // nothing computed yet: the job is queued
    wh = await warehouse(srv);
    vendA = await vendor(srv);
    vendB = await vendor(srv);
    pA = await product(srv, { title: 'Vendor A lamp', vendorId: vendA.id, variants: [{ price: 1500, stock: 50 }], wh });
    pB = await product(srv, { title: 'Vendor B chair', vendorId: vendB.id, variants: [{ price: 2500, stock: 50 }], wh });
    for (const lines of [[[pA.variants[0].id, 2], [pB.variants[0].id, 1]], [[pA.variants[0].id, 3]]]) {
      const buyer = await customerWithCart(srv, lines);
      must(await checkout(srv, buyer.who, { body: { shipping_address: ADDRESS, payment_method: CARD } }), 201);
    }
    await first.stop();
    // 70 days of imported orders before the checkouts: 5 a weekday, 2 a weekend day
    const rows = [];
    let invoice = 600000;
    for (let d = 72; d >= 3; d--) {
      const t = Date.now() - d * DAY, wd = new Date(t).getUTCDay();
      for (let k = 0; k < (wd === 0 || wd === 6 ? 2 : 5); k++) {
        const when = `${iso(t)} 1${k}:00:00`;
        rows.push(`${invoice},85123A,WHITE HANGING HEART T-LIGHT HOLDER,${2 + (k % 2)},${when},2.55,${17850 + (invoice % 5)}.0,United Kingdom`);
        rows.push(`${invoice++},71053,WHITE METAL LANTERN,1,${when},3.39,${17850 + (invoice % 5)}.0,United Kingdom`);
      }
    }
    const csv = path.join(first.dir, 'orders.csv');
    writeFileSync(csv, 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n' + rows.join('\n') + '\n');
    const imp = await runSouk(['import', 'online-retail', '--orders', '--db', first.dbPath, csv]);
    assert.equal(imp.code, 0, imp.stderr);
    srv = await startServer({ dir: first.dir, adminKey: first.adminKey, env });
    userA = await vendorUser(srv, vendA.id);
    userB = await vendorUser(srv, vendB.id);
    await eventually(async () => (await admin('kpis')).status === 200, 'the facts', 10_000);
  });
  after(async () => { await srv?.stop(); });

  it('before the first run the answer is empty and stale; the job fills it', async () => {
    assert.equal(before1.computed_at, null);
    assert.equal(before1.stale, true);
    assert.deepEqual(before1.rows, []);
    assert.deepEqual(before1.series, []);
    // on the restarted server the run of two days ago is stale: a request (or the schedule) queues the job again
    const done = await eventually(async () => {
      const b = must(await admin('forecasts'), 200);
      return b.computed_at?.startsWith(iso(Date.now())) ? b : null;
    }, 'the analytics.predict job', 60_000);
    assert.equal(done.stale, false);
    assert.equal(done.last_day, iso(Date.now() - 2 * DAY)); // the last day with a sale: the checkouts'
  });

  it('forecasts: one row per period ahead, with ordered 80% and 95% intervals', async () => {
    const day = must(await admin('forecasts'), 200);
    assert.equal(day.granularity, 'day');
    assert.equal(day.horizon, 28);
    assert.equal(day.series.length, 1);
    const s = day.series[0];
    assert.equal(s.scope, 'store');
    assert.equal(s.series, null);
    assert.equal(s.measure, 'revenue');
    assert.equal(s.currency, 'GBP'); // the imports' currency holds the most revenue
    assert.ok(s.history >= 60, `history ${s.history}`);
    assert.ok(['ets', 'snaive', 'croston', 'sba'].includes(s.method));
    assert.equal(day.rows.length, 28);
    day.rows.forEach((r, i) => {
      assert.equal(r.step, i + 1);
      assert.equal(r.period, iso(Date.parse(s.last_period) + (i + 1) * DAY));
      assert.ok(r.lo95 <= r.lo80 && r.lo80 <= r.forecast && r.forecast <= r.hi80 && r.hi80 <= r.hi95, JSON.stringify(r));
      assert.ok(r.lo95 >= 0, 'sales are never negative');
    });
    const week = must(await admin('forecasts?granularity=week&horizon=4'), 200);
    assert.equal(week.rows.length, 4);
    const ws = week.series[0];
    assert.equal(new Date(ws.last_period).getUTCDay(), 1); // weeks start on Monday
    week.rows.forEach((r, i) => assert.equal(r.period, iso(Date.parse(ws.last_period) + 7 * (i + 1) * DAY)));
    // products: units, every fitted product; id= picks one
    const prods = must(await admin('forecasts?scope=product&horizon=3'), 200);
    const ids = prods.series.map((x) => x.series);
    assert.ok(ids.includes(pA.product.id) && ids.includes(pB.product.id), ids.join());
    assert.ok(prods.series.every((x) => x.measure === 'units' && x.currency === null));
    assert.equal(prods.rows.length, 3 * prods.series.length);
    const one = must(await admin(`forecasts?scope=product&id=${pA.product.id}&horizon=2`), 200);
    assert.deepEqual(one.series.map((x) => x.series), [pA.product.id]);
    assert.ok(one.rows.every((r) => r.series === pA.product.id));
    const vend = must(await admin(`forecasts?scope=vendor&id=${vendA.id}`), 200);
    assert.equal(vend.series.length, 1);
    assert.equal(vend.series[0].currency, 'USD'); // a vendor's series is in its own currency
  });

  it('CSV is the rows of the JSON, by format=csv and by Accept', async () => {
    for (const p of ['forecasts?horizon=5', 'forecasts?scope=product&granularity=week&horizon=2', 'reorder?lead_time=5']) {
      const j = must(await admin(p), 200);
      const byParam = await admin(`${p}&format=csv`);
      const byAccept = await admin(p, { headers: { Accept: 'text/csv' } });
      for (const r of [byParam, byAccept]) {
        assert.equal(r.status, 200);
        assert.match(r.headers.get('content-type'), /^text\/csv/);
        assert.equal(r.text, byParam.text);
      }
      const rows = parseCsv(byParam.text);
      assert.ok(rows.length > 0, p);
      assert.equal(rows.length, j.rows.length, p);
      j.rows.forEach((row, i) => sameRow(rows[i], row, `${p} row ${i}`));
    }
  });

  it('reorder: days of cover and the order-up-to suggestion per variant and warehouse', async () => {
    const r = must(await admin('reorder'), 200);
    assert.equal(r.lead_time_days, 7);
    assert.equal(r.service_level, 0.95);
    assert.equal(r.review_days, 0);
    const a = r.rows.find((x) => x.variant === pA.variants[0].id);
    assert.ok(a, 'vendor A\'s variant');
    assert.equal(a.warehouse, wh.code);
    assert.equal(a.on_hand, 45);
    assert.equal(a.available, 45);
    assert.ok(a.mean_daily_demand > 0);
    assert.ok(Math.abs(a.reorder_point - (a.lead_demand + a.safety_stock)) < 0.02);
    assert.ok(Math.abs(a.lead_demand - 7 * a.mean_daily_demand) < 0.02);
    assert.ok(Math.abs(a.days_of_cover - a.available / a.mean_daily_demand) < 0.05 * a.days_of_cover, JSON.stringify(a));
    // a long lead time at a high service level: order
    const long = must(await admin('reorder?lead_time=90&service_level=0.99'), 200);
    const b = long.rows.find((x) => x.variant === pA.variants[0].id);
    assert.equal(long.lead_time_days, 90);
    assert.ok(b.lead_demand > a.lead_demand);
    assert.equal(b.reorder, b.reorder_point > b.available);
    assert.equal(b.suggested_quantity, b.reorder ? Math.ceil(b.reorder_point - b.available - 1e-9) : 0);
    // the fewest days of cover first
    const covers = r.rows.map((x) => (x.days_of_cover === null ? Infinity : x.days_of_cover));
    assert.deepEqual(covers, [...covers].sort((x, y) => x - y));
    // the settings move the default
    const set = await runSouk(['analytics', 'reorder', '--db', srv.dbPath, '--lead-time', '14', '--service-level', '0.9']);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /lead time 14 days, service level 0\.9, review period 0 days/);
    const again = must(await admin('reorder'), 200);
    assert.equal(again.lead_time_days, 14);
    assert.equal(again.service_level, 0.9);
  });

  it('a vendor reads only their own forecasts and variants; no categories, no anomalies', async () => {
    const own = must(await as(userA, 'forecasts'), 200);
    assert.deepEqual(own.series.map((s) => [s.scope, s.series]), [['vendor', vendA.id]]);
    const prods = must(await as(userA, 'forecasts?scope=product'), 200);
    assert.deepEqual(prods.series.map((s) => s.series), [pA.product.id]);
    expectError(await as(userA, `forecasts?scope=vendor&id=${vendB.id}`), 403, 'FORBIDDEN');
    expectError(await as(userA, 'forecasts?scope=category'), 403, 'FORBIDDEN');
    expectError(await as(userA, 'anomalies'), 403, 'FORBIDDEN');
    const other = must(await as(userA, `forecasts?scope=product&id=${pB.product.id}`), 200);
    assert.deepEqual(other.series, []); // another vendor's product: nothing
    const ra = must(await as(userA, 'reorder'), 200);
    assert.deepEqual(ra.rows.map((x) => x.variant), [pA.variants[0].id]);
    const rb = must(await as(userB, 'reorder'), 200);
    assert.deepEqual(rb.rows.map((x) => x.variant), [pB.variants[0].id]);
  });

  it('anomalies: a window of days, each with its interval', async () => {
    const r = must(await admin(`anomalies?from=${iso(Date.now() - 80 * DAY)}`), 200);
    assert.equal(r.to, iso(Date.now() - 2 * DAY));
    for (const x of r.rows) {
      assert.ok(['revenue', 'orders', 'visitors'].includes(x.metric));
      assert.ok(x.actual < x.lower || x.actual > x.upper, JSON.stringify(x));
      assert.equal(x.direction, x.actual > x.upper ? 'above' : 'below');
    }
    const only = must(await admin(`anomalies?metric=orders&from=${iso(Date.now() - 80 * DAY)}`), 200);
    assert.ok(only.rows.every((x) => x.metric === 'orders'));
  });

  it('bad parameters answer 400 with the standard body', async () => {
    const cases = [
      ['forecasts?horizon=0', 'horizon'],
      ['forecasts?horizon=91', 'horizon'],
      ['forecasts?granularity=week&horizon=27', 'horizon'],
      ['forecasts?granularity=month', 'granularity'],
      ['forecasts?scope=galaxy', 'scope'],
      ['forecasts?id=prod_0000000000001', 'id'],
      [`forecasts?scope=category&id=${'prod_0000000000001'}`, 'id'],
      ['forecasts?from=2026-01-01', 'from'],
      ['reorder?lead_time=0', 'lead_time'],
      ['reorder?service_level=1', 'service_level'],
      ['reorder?service_level=abc', 'service_level'],
      ['reorder?review=31', 'review'],
      ['reorder?lead_time=90&review=31', 'review'],
      ['reorder?limit=0', 'limit'],
      ['anomalies?metric=weather', 'metric'],
      ['anomalies?from=2026-02-30', 'from'],
      ['anomalies?from=2026-03-10&to=2026-03-01', 'from'],
      ['anomalies?horizon=3', 'horizon'],
    ];
    for (const [p, field] of cases) expectError(await admin(p), 400, 'BAD_REQUEST', field);
  });
});
